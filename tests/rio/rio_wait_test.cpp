// CompletionQueue::wait, the riosp extension the provider's workers sleep in: it returns for
// queued completions, for a kernel completion (on io_uring by waiting on the ring itself), for
// a signal of the notification event from another thread, and after its timeout. Both backends.
#include "rio_test_support.h"

#include <rio/wsa_error.h>

#include <future>

namespace riosp::rio::test {
namespace {

using Clock = std::chrono::steady_clock;

class RioWait : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (!backend_available(GetParam()))
            GTEST_SKIP() << backend_name(GetParam()) << " not available here";
        RIO_NOTIFICATION_COMPLETION n = event_notification(event);
        CqOptions o;
        o.backend = GetParam();
        auto created = CompletionQueue::create(16, &n, o);
        ASSERT_TRUE(created.ok()) << created.error();
        cq = std::move(created).value();
        auto made = RequestQueue::create(pair.local, 4, 1, 4, 1, cq, cq, nullptr);
        ASSERT_TRUE(made.ok()) << made.error();
        rq = std::move(made).value();
    }
    void TearDown() override { rq = RequestQueue{}; }

    // Runs cq.wait(timeout) on another thread; returns its result and how long it took.
    std::future<std::pair<int, Clock::duration>> wait_async(int timeout_ms) {
        return std::async(std::launch::async, [this, timeout_ms] {
            const auto start = Clock::now();
            const int rc = cq.wait(timeout_ms);
            return std::make_pair(rc, Clock::now() - start);
        });
    }

    TestEvent event;
    TcpPair pair;
    CompletionQueue cq;
    RequestQueue rq;
    Region region{64};
};

TEST_P(RioWait, ReturnsAtOnceWhenCompletionsAreQueued) {
    region.fill(0, "q");
    RIO_BUF b = region.slice(0, 1);
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(pair.peer_recv(1), "q");
    // The send's completion is in the kernel or queued: either way wait must not sleep 10 s.
    const auto start = Clock::now();
    EXPECT_EQ(cq.wait(10000), 0);
    EXPECT_LT(Clock::now() - start, 5s);
    EXPECT_EQ(wait_results(cq, 1, 100ms).size(), 1U);
}

TEST_P(RioWait, WakesForAReceiveTheKernelCompletesWhileItSleeps) {
    RIO_BUF b = region.slice(0, 64);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(2)), 0);
    auto waiter = wait_async(10000);
    std::this_thread::sleep_for(50ms); // let it sleep first
    ASSERT_TRUE(pair.peer_send("wake"));
    const auto [rc, took] = waiter.get();
    EXPECT_EQ(rc, 0);
    EXPECT_LT(took, 5s);
    auto res = wait_results(cq, 1, 100ms);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].BytesTransferred, 4U);
    EXPECT_EQ(region.text(0, 4), "wake");
}

TEST_P(RioWait, WakesWhenAnotherThreadSignalsTheEventAndResetsIt) {
    auto waiter = wait_async(10000);
    std::this_thread::sleep_for(50ms);
    event.set();
    const auto [rc, took] = waiter.get();
    EXPECT_EQ(rc, 0);
    EXPECT_LT(took, 5s);
    EXPECT_FALSE(event_signaled(event, 0ms)); // reset: the next wait sleeps again
}

TEST_P(RioWait, ReturnsAfterItsTimeoutWhenNothingHappens) {
    const auto start = Clock::now();
    EXPECT_EQ(cq.wait(30), 0);
    EXPECT_GE(Clock::now() - start, 25ms);
    EXPECT_EQ(cq.dequeue({}), 0U);
}

TEST_P(RioWait, LeavesNoNotificationArmedBehind) {
    EXPECT_EQ(cq.wait(10), 0);
    // wait disarms on return: the application's own notify() is free to arm again.
    EXPECT_EQ(cq.notify(), 0);
}

TEST_P(RioWait, SendsQueuedBehindARunningOneProgressWhileTheOwnerWaits) {
    // Four 1 MiB sends, each committed alone: on io_uring the later ones wait behind the
    // running one, and while a thread waits on the ring nothing else resubmits them.
    std::vector<char> big(std::size_t{1} << 20, 'w');
    auto reg = RegisteredBuffer::create(big);
    ASSERT_TRUE(reg.ok());
    for (std::uintptr_t i = 0; i < 4; ++i) {
        RIO_BUF b = reg.value().slice(0, static_cast<ULONG>(big.size()));
        ASSERT_EQ(rq.send({&b, 1}, 0, ctx(i)), 0);
    }
    std::thread reader([this, total = 4 * big.size()] { (void)pair.peer_recv(total, 20s); });
    std::vector<RIORESULT> got;
    const auto deadline = Clock::now() + 20s;
    while (got.size() < 4 && Clock::now() < deadline) {
        ASSERT_EQ(cq.wait(10000), 0);
        RIORESULT batch[4];
        const ULONG n = cq.dequeue(batch);
        got.insert(got.end(), batch, batch + n);
    }
    reader.join();
    ASSERT_EQ(got.size(), 4U);
    for (std::uintptr_t i = 0; i < 4; ++i) {
        EXPECT_EQ(got[i].RequestContext, i); // in submission order
        EXPECT_EQ(got[i].BytesTransferred, big.size());
    }
}

TEST_P(RioWait, NeedsAnEventNotification) {
    CqOptions o;
    o.backend = GetParam();
    auto polling = CompletionQueue::create(4, nullptr, o);
    ASSERT_TRUE(polling.ok());
    EXPECT_EQ(polling.value().wait(0), wsa::einval);
}

INSTANTIATE_TEST_SUITE_P(Backends, RioWait, platform_backends(), backend_param_name);

} // namespace
} // namespace riosp::rio::test
