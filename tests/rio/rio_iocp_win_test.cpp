// Windows only: RIONotify with RIO_IOCP_COMPLETION posts the application's key and OVERLAPPED
// to the application's completion port, once per notify(), as on Windows' own RIO.
#include "rio_test_support.h"

#include <rio/wsa_error.h>

namespace riosp::rio::test {
namespace {

class RioIocpWin : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (!backend_available(GetParam()))
            GTEST_SKIP() << backend_name(GetParam()) << " not available here";
        port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
        ASSERT_NE(port_, nullptr);
    }
    void TearDown() override {
        if (port_ != nullptr)
            CloseHandle(port_);
    }
    RIO_NOTIFICATION_COMPLETION iocp_notification() {
        RIO_NOTIFICATION_COMPLETION n{};
        n.Type = RIO_IOCP_COMPLETION;
        n.Iocp.IocpHandle = port_;
        n.Iocp.CompletionKey = reinterpret_cast<PVOID>(std::uintptr_t{0xC0FFEE});
        n.Iocp.Overlapped = &overlapped_;
        return n;
    }
    // The next packet on the port within timeout_ms: its key and OVERLAPPED, or false.
    bool next_packet(ULONG_PTR& key, OVERLAPPED*& ov, DWORD timeout_ms) {
        DWORD bytes = 0;
        return GetQueuedCompletionStatus(port_, &bytes, &key, &ov, timeout_ms) != FALSE;
    }

    HANDLE port_ = nullptr;
    OVERLAPPED overlapped_{};
};

TEST_P(RioIocpWin, NotifyPostsTheApplicationsKeyAndOverlappedWhenACompletionArrives) {
    auto n = iocp_notification();
    CqOptions o;
    o.backend = GetParam();
    auto created = CompletionQueue::create(16, &n, o);
    ASSERT_TRUE(created.ok()) << created.error();
    CompletionQueue cq = std::move(created).value();
    TcpPair pair;
    auto made = RequestQueue::create(pair.local, 2, 1, 2, 1, cq, cq, ctx(7));
    ASSERT_TRUE(made.ok()) << made.error();
    RequestQueue rq = std::move(made).value();
    Region r(16);
    RIO_BUF b = r.slice(0, 16);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(cq.notify(), 0);
    ULONG_PTR key = 0;
    OVERLAPPED* ov = nullptr;
    EXPECT_FALSE(next_packet(key, ov, 50)) << "nothing completed yet";
    ASSERT_TRUE(pair.peer_send("iocp"));
    ASSERT_TRUE(next_packet(key, ov, 5000));
    EXPECT_EQ(key, 0xC0FFEEU);
    EXPECT_EQ(ov, &overlapped_);
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].BytesTransferred, 4U);
    EXPECT_FALSE(next_packet(key, ov, 50)) << "one packet per notify()";
}

TEST_P(RioIocpWin, WaitNeedsAnEventNotNotACompletionPort) {
    auto n = iocp_notification();
    CqOptions o;
    o.backend = GetParam();
    auto created = CompletionQueue::create(4, &n, o);
    ASSERT_TRUE(created.ok()) << created.error();
    EXPECT_EQ(created.value().wait(0), wsa::einval);
}

INSTANTIATE_TEST_SUITE_P(Backends, RioIocpWin, platform_backends(), backend_param_name);

} // namespace
} // namespace riosp::rio::test
