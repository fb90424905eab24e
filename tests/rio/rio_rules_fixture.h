// The fixture of the RIO rule suites (rio_rules_test.cpp, rio_notify_rules_test.cpp,
// rio_progress_rules_test.cpp): each test runs once per backend this platform has, and every
// CompletionQueue it makes is created on the backend under test. Outside an anonymous namespace:
// the three files' tests belong to one parameterized suite, instantiated once.
#pragma once

#include "rio_test_support.h"

#include <rio/rio.h>

namespace riosp::rio::test {

class RioRules : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (!backend_available(GetParam()))
            GTEST_SKIP() << backend_name(GetParam()) << " not available here";
    }
    CqOptions opts() const {
        CqOptions o;
        o.backend = GetParam();
        return o;
    }
    CompletionQueue make_cq(DWORD size, const RIO_NOTIFICATION_COMPLETION* n = nullptr) {
        auto cq = CompletionQueue::create(size, n, opts());
        EXPECT_TRUE(cq.ok()) << cq.error();
        return std::move(cq).value();
    }
    RequestQueue make_rq(Sock fd, CompletionQueue& cq, ULONG recv = 4, ULONG send = 4,
                         void* sctx = ctx(0x50C)) {
        auto rq = RequestQueue::create(fd, recv, 1, send, 1, cq, cq, sctx);
        EXPECT_TRUE(rq.ok()) << rq.error();
        return std::move(rq).value();
    }
};

} // namespace riosp::rio::test
