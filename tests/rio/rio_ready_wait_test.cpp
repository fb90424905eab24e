// rio/net.h's ReadyWait: one wait over many sockets' readiness and a wake-up any thread can
// give (what a select that finds nothing ready blocks in). Platform-free.
#include "rio_test_os.h"

#include <rio/net.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <thread>

namespace riosp::rio::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ReadyWaitTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (auto& p : pairs_)
            ASSERT_TRUE(open_tcp_pair(p[0], p[1]));
        ASSERT_EQ(wait_.open(), 0);
    }
    void TearDown() override {
        for (auto& p : pairs_) {
            close_socket(p[0]);
            close_socket(p[1]);
        }
    }
    std::array<std::array<Sock, 2>, 2> pairs_{};
    net::ReadyWait wait_;
};

TEST_F(ReadyWaitTest, ReportsTheSocketsTheKernelHasReadyAndNoOther) {
    ASSERT_TRUE(send_all(pairs_[1][1], "x", 1));
    std::array<net::ReadyWait::Watch, 3> watches{{
        {pairs_[0][0], true, false, true}, // nothing to read: must come back false
        {pairs_[1][0], true, false, false},
        {pairs_[0][0], false, true, false}, // a connected socket with room: writable
    }};
    ASSERT_EQ(wait_.wait(watches, 2s), 0);
    EXPECT_FALSE(watches[0].ready);
    EXPECT_TRUE(watches[1].ready);
    EXPECT_TRUE(watches[2].ready);
}

TEST_F(ReadyWaitTest, AWakeFromAnotherThreadEndsAWaitWithoutABound) {
    std::array<net::ReadyWait::Watch, 1> watches{{{pairs_[0][0], true, false, false}}};
    std::thread waker([this] {
        std::this_thread::sleep_for(50ms);
        wait_.wake();
    });
    const auto t0 = Clock::now();
    ASSERT_EQ(wait_.wait(watches, std::chrono::microseconds(-1)), 0);
    waker.join();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_FALSE(watches[0].ready);
}

TEST_F(ReadyWaitTest, AWakeWhileNobodyWaitsEndsTheNextWaitOnlyOnce) {
    wait_.wake();
    wait_.wake(); // one wake-up, however many calls
    std::array<net::ReadyWait::Watch, 1> watches{{{pairs_[0][0], true, false, false}}};
    const auto t0 = Clock::now();
    ASSERT_EQ(wait_.wait(watches, 10s), 0);
    EXPECT_LT(Clock::now() - t0, 2s) << "the earlier wake-up ends it at once";
    const auto t1 = Clock::now();
    ASSERT_EQ(wait_.wait(watches, 100ms), 0);
    EXPECT_GE(Clock::now() - t1, 90ms) << "and only that one: this wait runs to its timeout";
    EXPECT_FALSE(watches[0].ready);
}

} // namespace
} // namespace riosp::rio::test
