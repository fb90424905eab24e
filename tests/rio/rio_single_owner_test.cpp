// Single-owner completion queues (CqOptions::single_owner, io_uring only): the ring belongs to
// the thread that first enters it, requests wait in the SQ until that thread's next dequeue,
// which hands them all over and runs the kernel's deferred completion work in ONE
// io_uring_enter, and an idle polling dequeue makes no system call at all (docs/rio.md,
// rio/README.md). The figures are system calls counted by rio itself
// (testing::io_system_calls).
#include "rio_test_support.h"

#include "support/alloc_counter.h"

#include <rio/rio_table.h>
#include <rio/rio_testing.h>

#include <cstdlib>
#include <memory>
#include <thread>

namespace riosp::rio::test {
namespace {

class RioSingleOwner : public ::testing::Test {
protected:
    void SetUp() override {
        if (!backend_available(Backend::uring))
            GTEST_SKIP() << "io_uring not available here";
        auto made = CompletionQueue::create(256, nullptr, options());
        ASSERT_TRUE(made.ok()) << made.error();
        cq = std::move(made).value();
        if (!cq.single_owner())
            GTEST_SKIP() << "this kernel has no IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN";
    }
    static CqOptions options() {
        CqOptions o;
        o.backend = Backend::uring;
        o.single_owner = true;
        return o;
    }
    RequestQueue make_rq(Sock fd, ULONG recv = 2, ULONG send = 2) {
        auto rq = RequestQueue::create(fd, recv, 1, send, 1, cq, cq, nullptr);
        EXPECT_TRUE(rq.ok()) << rq.error();
        return std::move(rq).value();
    }
    std::uint64_t calls() const { return testing::io_system_calls(cq); }

    CompletionQueue cq;
};

// What the owner commits stays in the SQ (nothing reaches the peer) until its next dequeue,
// which hands the requests of every request queue over in one system call.
TEST_F(RioSingleOwner, CommittedRequestsReachTheKernelInTheOwnersNextDequeue) {
    TcpPair a;
    TcpPair b;
    RequestQueue qa = make_rq(a.local);
    RequestQueue qb = make_rq(b.local);
    Region r(64);
    r.fill(0, "to a");
    r.fill(8, "to b");
    RIO_BUF in_a = r.slice(32, 4);
    RIO_BUF in_b = r.slice(40, 4);
    RIO_BUF out_a = r.slice(0, 4);
    RIO_BUF out_b = r.slice(8, 4);
    const std::uint64_t before = calls();
    ASSERT_EQ(qa.receive({&in_a, 1}, RIO_MSG_WAITALL, ctx(1)), 0);
    ASSERT_EQ(qa.send({&out_a, 1}, 0, ctx(2)), 0);
    ASSERT_EQ(qb.receive({&in_b, 1}, RIO_MSG_WAITALL, ctx(3)), 0);
    ASSERT_EQ(qb.send({&out_b, 1}, 0, ctx(4)), 0);
    EXPECT_EQ(calls(), before); // four commits, no system call
    EXPECT_TRUE(a.peer_has_nothing(20ms));
    RIORESULT res[8];
    const ULONG sent = cq.dequeue(res);
    EXPECT_EQ(calls(), before + 1); // all four in one io_uring_enter
    EXPECT_EQ(a.peer_recv(4), "to a");
    EXPECT_EQ(b.peer_recv(4), "to b");
    ASSERT_TRUE(a.peer_send("from"));
    ASSERT_TRUE(b.peer_send("peer"));
    const auto rest = wait_results(cq, 4 - sent);
    EXPECT_EQ(rest.size() + sent, 4U);
    EXPECT_EQ(r.text(32, 4), "from");
    EXPECT_EQ(r.text(40, 4), "peer");
}

// The pattern of a server thread that owns its CQ: receives posted on many connections, the
// data of all of them arriving, and the owner reaping every completion. Posting costs nothing,
// one dequeue submits them all, and the receives the kernel deferred to the owner run in a few
// more (the kernel runs deferred work in bounded batches: 6.18 takes 32 in two), not one each.
TEST_F(RioSingleOwner, ReceivesOfManyConnectionsCostAFewSystemCallsNotOneEach) {
    constexpr int kConnections = 32;
    std::vector<std::unique_ptr<TcpPair>> pairs;
    std::vector<RequestQueue> queues;
    Region r(kConnections * 8);
    const std::uint64_t before = calls();
    for (int i = 0; i < kConnections; ++i) {
        pairs.push_back(std::make_unique<TcpPair>());
        queues.push_back(make_rq(pairs.back()->local));
        RIO_BUF in = r.slice(static_cast<ULONG>(i) * 8, 8);
        ASSERT_EQ(queues.back().receive({&in, 1}, RIO_MSG_WAITALL, ctx(i)), 0);
    }
    RIORESULT res[64];
    EXPECT_EQ(cq.dequeue(res), 0U); // hands the 32 receives to the kernel
    EXPECT_EQ(calls(), before + 1);
    for (auto& p : pairs)
        ASSERT_TRUE(p->peer_send("12345678"));
    for (auto& p : pairs) // the data is in every socket (and its receive's work queued)
        ASSERT_TRUE(readable(p->local, 5000));
    std::this_thread::sleep_for(10ms);
    ULONG got = 0;
    for (int spin = 0; spin < 1000 && got < kConnections; ++spin)
        got += cq.dequeue({res + got, static_cast<std::size_t>(kConnections) - got});
    ASSERT_EQ(got, static_cast<ULONG>(kConnections));
    EXPECT_LE(calls(), before + 4);
    for (ULONG i = 0; i < got; ++i) {
        EXPECT_EQ(res[i].Status, 0);
        EXPECT_EQ(res[i].BytesTransferred, 8U);
    }
}

// A polling owner with nothing to reap stays in user space: the kernel raises IORING_SQ_TASKRUN
// when it deferred completion work to the ring, and only then does a dequeue enter.
TEST_F(RioSingleOwner, AnIdlePollingDequeueMakesNoSystemCall) {
    TcpPair pair;
    RequestQueue rq = make_rq(pair.local);
    Region r(16);
    RIO_BUF in = r.slice(0, 4);
    ASSERT_EQ(rq.receive({&in, 1}, RIO_MSG_WAITALL, ctx(1)), 0);
    RIORESULT res[2];
    EXPECT_EQ(cq.dequeue(res), 0U); // submits the receive
    const std::uint64_t before = calls();
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(cq.dequeue(res), 0U);
    EXPECT_EQ(calls(), before);
    ASSERT_TRUE(pair.peer_send("data"));
    const auto got = wait_results(cq, 1);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].BytesTransferred, 4U);
    EXPECT_EQ(r.text(0, 4), "data");
    EXPECT_LE(calls(), before + 2); // the receive's work ran in one (at most two) enters
}

// A CQ made on one thread and handed to another: the ring is bound to the thread that first
// enters it, not to its creator.
TEST_F(RioSingleOwner, TheThreadThatFirstEntersTheRingOwnsIt) {
    TcpPair pair;
    RequestQueue rq = make_rq(pair.local); // made here, on the creating thread
    Region r(16);
    r.fill(0, "ping");
    bool done = false;
    std::thread owner([&] {
        RIO_BUF in = r.slice(8, 4);
        RIO_BUF out = r.slice(0, 4);
        if (rq.receive({&in, 1}, RIO_MSG_WAITALL, ctx(1)) != 0 ||
            rq.send({&out, 1}, 0, ctx(2)) != 0)
            return;
        done = wait_results(cq, 2).size() == 2;
    });
    EXPECT_EQ(pair.peer_recv(4), "ping");
    ASSERT_TRUE(pair.peer_send("pong"));
    owner.join();
    EXPECT_TRUE(done);
    EXPECT_EQ(r.text(8, 4), "pong");
    // The owner is gone: the RQ's teardown is this thread's, and may not enter the ring. It
    // has nothing in flight, so nothing waits for the kernel.
}

TEST_F(RioSingleOwner, TheOwnersIoPathAllocatesNothing) {
    TcpPair pair;
    RequestQueue rq = make_rq(pair.local);
    Region r(128);
    RIO_BUF out = r.slice(0, 64);
    RIO_BUF in = r.slice(64, 64);
    char echo[64];
    RIORESULT res[4];
    auto round_trip = [&] {
        if (rq.receive({&in, 1}, RIO_MSG_WAITALL, ctx(1)) != 0 || rq.send({&out, 1}, 0, ctx(2)))
            return false;
        ULONG done = cq.dequeue({res, 4}); // submits both
        std::size_t got = 0;
        while (got < 64) { // the peer echoes with plain syscalls
            const long n = recv_some(pair.peer, echo + got, 64 - got);
            if (n <= 0)
                return false;
            got += static_cast<std::size_t>(n);
        }
        if (!send_all(pair.peer, echo, 64))
            return false;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (done < 2 && std::chrono::steady_clock::now() < deadline)
            done += cq.dequeue({res + done, 4 - done});
        return done == 2 && res[0].Status == 0 && res[1].Status == 0;
    };
    ASSERT_TRUE(round_trip()); // warm-up: first-use statics
    const alloc::ThreadScope scope;
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(round_trip());
    EXPECT_EQ(scope.counted().allocations, 0U);
}

// Through the C table (RIOCreateCompletionQueue has no options): RIOSP_RIO_OWNER_CQ=1 makes the
// polled CQs it creates single-owner; a CQ with a notification stays shared (RIONotify needs
// a thread other than the owner to reap).
TEST(RioSingleOwnerTable, PolledTableQueuesAreSingleOwnerUnderTheEnvironmentSwitch) {
    if (!backend_available(Backend::uring))
        GTEST_SKIP() << "io_uring not available here";
    const RIO_EXTENSION_FUNCTION_TABLE& t = testing::function_table_on(Backend::uring);
    TestEvent ev;
    RIO_NOTIFICATION_COMPLETION n = event_notification(ev);
    auto single_owner = [&](RIO_NOTIFICATION_COMPLETION* notification) {
        RIO_CQ q = t.RIOCreateCompletionQueue(8, notification);
        EXPECT_NE(q, RIO_INVALID_CQ);
        const bool yes = testing::table_completion_queue(q)->single_owner();
        t.RIOCloseCompletionQueue(q);
        return yes;
    };
    ASSERT_EQ(::setenv("RIOSP_RIO_OWNER_CQ", "1", 1), 0);
    const bool polled = single_owner(nullptr);
    const bool notified = single_owner(&n);
    ASSERT_EQ(::unsetenv("RIOSP_RIO_OWNER_CQ"), 0);
    const bool unset = single_owner(nullptr);
    CqOptions probe;
    probe.backend = Backend::uring;
    probe.single_owner = true;
    auto made = CompletionQueue::create(8, nullptr, probe);
    ASSERT_TRUE(made.ok());
    EXPECT_EQ(polled, made.value().single_owner()); // where the kernel has single-owner rings
    EXPECT_FALSE(notified);
    EXPECT_FALSE(unset);
}

} // namespace
} // namespace riosp::rio::test
