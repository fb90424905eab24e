// Every RIO rule of docs/rio.md as a named test, run on both backends (io_uring and epoll) in
// the same process (rio_rules_fixture.h). This file: what completions carry, capacity
// accounting, registered buffers, and the suite's one instantiation; RIONotify, RIO_MSG_DEFER
// and RIO_MSG_WAITALL are in rio_notify_rules_test.cpp; ordering, progress, allocation,
// cancellation and the rest of the contract in rio_progress_rules_test.cpp.
#include "rio_rules_fixture.h"
#include "support/alloc_counter.h"

#include <rio/rio_testing.h>
#include <rio/wsa_error.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <numeric>

namespace riosp::rio::test {
namespace {

// ------------------------------------------------------------------ completions carry the facts
TEST_P(RioRules, SendCompletionCarriesRequestContextSocketContextBytesAndStatus) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 4, 4, ctx(0xABCD));
    Region r(64);
    r.fill(0, "hello rio");
    RIO_BUF b = r.slice(0, 9);
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(0x1234)), 0);
    EXPECT_EQ(pair.peer_recv(9), "hello rio");
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].BytesTransferred, 9U);
    EXPECT_EQ(res[0].SocketContext, 0xABCDU);
    EXPECT_EQ(res[0].RequestContext, 0x1234U);
}

TEST_P(RioRules, ReceiveCompletionCarriesDataAndContexts) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 4, 4, ctx(0x77));
    Region r(64);
    RIO_BUF b = r.slice(8, 32);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(0x99)), 0);
    ASSERT_TRUE(pair.peer_send("ping"));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].BytesTransferred, 4U);
    EXPECT_EQ(res[0].SocketContext, 0x77U);
    EXPECT_EQ(res[0].RequestContext, 0x99U);
    EXPECT_EQ(r.text(8, 4), "ping");
}

TEST_P(RioRules, ReceiveAfterPeerFinCompletesWithZeroBytes) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    shutdown_send(pair.peer);
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].BytesTransferred, 0U);
    // And a receive posted after the FIN completes with 0 bytes too.
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(2)), 0);
    res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].BytesTransferred, 0U);
    EXPECT_EQ(res[0].RequestContext, 2U);
}

TEST_P(RioRules, PeerResetSurfacesAsConnReset) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    std::this_thread::sleep_for(10ms);
    pair.reset_peer();
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, wsa::econnreset);
    EXPECT_EQ(res[0].RequestContext, 1U);
}

TEST_P(RioRules, SendAfterPeerResetCompletesWithConnReset) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    pair.reset_peer();
    std::this_thread::sleep_for(20ms); // let the RST arrive
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(7)), 0);
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, wsa::econnreset);
    EXPECT_EQ(res[0].RequestContext, 7U);
}

TEST_P(RioRules, RequestsBehindAFailedOneReportTheirOwnErrorNotAborted) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    pair.reset_peer();
    std::this_thread::sleep_for(20ms);
    // One batch (one io_uring chain): the first send fails, the kernel cuts the link; the
    // others must still report the connection's error, not WSA_OPERATION_ABORTED.
    ASSERT_EQ(rq.send({&b, 1}, RIO_MSG_DEFER, ctx(1)), 0);
    ASSERT_EQ(rq.send({&b, 1}, RIO_MSG_DEFER, ctx(2)), 0);
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(3)), 0);
    auto res = wait_results(cq, 3);
    ASSERT_EQ(res.size(), 3U);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(res[i].Status, wsa::econnreset) << i;
        EXPECT_EQ(res[i].RequestContext, static_cast<ULONGLONG>(i + 1));
    }
}

// ------------------------------------------------------------------ capacity accounting
TEST_P(RioRules, RequestQueueCapacityIsChargedAgainstCompletionQueue) {
    TcpPair a;
    TcpPair b;
    CompletionQueue cq = make_cq(6);
    auto first = RequestQueue::create(a.local, 2, 1, 2, 1, cq, cq, nullptr); // charges 4 of 6
    ASSERT_TRUE(first.ok());
    auto second = RequestQueue::create(b.local, 2, 1, 1, 1, cq, cq, nullptr); // needs 3 > 2
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error(), wsa::enobufs);
    auto fits = RequestQueue::create(b.local, 1, 1, 1, 1, cq, cq, nullptr); // needs 2 == 2
    EXPECT_TRUE(fits.ok());
    first = Result<RequestQueue>(RequestQueue{}); // destroying the first RQ returns its charge
    {
        auto again = RequestQueue::create(a.local, 2, 1, 2, 1, cq, cq, nullptr);
        EXPECT_TRUE(again.ok()) << again.error();
    }
}

TEST_P(RioRules, ShrinkingCompletionQueueBelowChargedCapacityFailsWithTooManyRefs) {
    TcpPair pair;
    CompletionQueue cq = make_cq(8);
    RequestQueue rq = make_rq(pair.local, cq, 2, 2); // charges 4
    EXPECT_EQ(cq.resize(3), wsa::etoomanyrefs);
    EXPECT_EQ(cq.resize(4), 0);
    EXPECT_EQ(cq.resize(64), 0);
    EXPECT_EQ(cq.resize(0), wsa::einval);
}

TEST_P(RioRules, ShrinkingCompletionQueueBelowQueuedCompletionsFailsWithTooManyRefs) {
    TcpPair pair;
    CompletionQueue cq = make_cq(8);
    Region r(64);
    {
        RequestQueue rq = make_rq(pair.local, cq, 2, 2);
        RIO_BUF b = r.slice(0, 8);
        ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
        ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(2)), 0);
    } // two aborted completions stay queued, owned by no RQ
    EXPECT_EQ(cq.resize(1), wsa::etoomanyrefs);
    EXPECT_EQ(cq.resize(2), 0);
    auto res = wait_results(cq, 2);
    ASSERT_EQ(res.size(), 2U);
    EXPECT_EQ(cq.resize(1), 0);
}

TEST_P(RioRules, ShrinkingRequestQueueBelowOutstandingFailsWithTooManyRefs) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 2, 2);
    Region r(64);
    RIO_BUF b1 = r.slice(0, 8);
    RIO_BUF b2 = r.slice(8, 8);
    ASSERT_EQ(rq.receive({&b1, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(rq.receive({&b2, 1}, 0, ctx(2)), 0);
    EXPECT_EQ(rq.resize(1, 2), wsa::etoomanyrefs);
    EXPECT_EQ(rq.resize(2, 1), 0);
    EXPECT_EQ(rq.resize(8, 1), 0);
    EXPECT_EQ(rq.resize(8, 9), wsa::enobufs); // 17 > the CQ's 16
    // The queue still works, in order, after the slot arrays were rebuilt.
    ASSERT_TRUE(pair.peer_send("abcdefghXY"));
    auto res = wait_results(cq, 2);
    ASSERT_EQ(res.size(), 2U);
    EXPECT_EQ(res[0].RequestContext, 1U);
    EXPECT_EQ(res[1].RequestContext, 2U);
    EXPECT_EQ(r.text(0, 10), "abcdefghXY");
}

TEST_P(RioRules, FullRequestQueueFailsAtOnceWithNoBufs) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 2, 2);
    Region r(64);
    RIO_BUF b = r.slice(0, 8);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(2)), 0);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(rq.receive({&b, 1}, 0, ctx(3)), wsa::enobufs);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms); // no hidden queue, no waiting
    // Sends have their own quota.
    EXPECT_EQ(rq.send({&b, 1}, 0, ctx(4)), 0);
}

TEST_P(RioRules, QuotaAndBuffersAreReleasedAtDequeueNotAtCompletion) {
    TcpPair pair;
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    RequestQueue rq = make_rq(pair.local, cq, 1, 1);
    const std::size_t before = live_buffer_registrations();
    auto region = std::make_unique<Region>(64);
    region->fill(0, "q");
    RIO_BUF b = region->slice(0, 1);
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(pair.peer_recv(1), "q"); // the send has completed in the kernel
    // The event fires only once the completion sits in the RIO queue (reaped from the ring).
    ASSERT_EQ(cq.notify(), 0);
    ASSERT_TRUE(event_signaled(ev, 5000ms));
    EXPECT_EQ(rq.send({&b, 1}, 0, ctx(2)), wsa::enobufs); // not dequeued yet: still charged
    const RIO_BUFFERID id = region->buf.id();
    region->buf = RegisteredBuffer{}; // deregister: deferred while the completion is queued
    EXPECT_EQ(live_buffer_registrations(), before + registrations_per_used_region(GetParam()));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(live_buffer_registrations(), before); // released by the dequeue
    EXPECT_EQ(deregister_buffer(id), wsa::einval);  // and gone for good
    Region other(8);
    RIO_BUF ob = other.slice(0, 1);
    EXPECT_EQ(rq.send({&ob, 1}, 0, ctx(3)), 0); // the quota came back with the dequeue
    EXPECT_EQ(wait_results(cq, 1).size(), 1U);
}

// ------------------------------------------------------------------ buffers
TEST_P(RioRules, SliceOutsideRegionOrUnknownBufferIdIsInvalid) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF past_end = r.slice(60, 8);
    EXPECT_EQ(rq.send({&past_end, 1}, 0, nullptr), wsa::einval);
    RIO_BUF offset_past_end = r.slice(65, 0);
    EXPECT_EQ(rq.receive({&offset_past_end, 1}, 0, nullptr), wsa::einval);
    RIO_BUF wrap = r.slice(0xFFFFFFF0U, 0x20);
    EXPECT_EQ(rq.send({&wrap, 1}, 0, nullptr), wsa::einval);
    RIO_BUF unknown{reinterpret_cast<RIO_BUFFERID>(std::uintptr_t{0x0000777700001234ULL}), 0, 1};
    EXPECT_EQ(rq.send({&unknown, 1}, 0, nullptr), wsa::einval);
    RIO_BUF invalid{RIO_INVALID_BUFFERID, 0, 1};
    EXPECT_EQ(rq.receive({&invalid, 1}, 0, nullptr), wsa::einval);
    RIO_BUF whole = r.slice(0, 64);
    EXPECT_EQ(rq.send({&whole, 1}, 0, nullptr), 0);
    EXPECT_EQ(wait_results(cq, 1).size(), 1U);
    // A stale id (deregistered, its slot possibly reused) is unknown, not someone else's region.
    Region gone(16);
    RIO_BUF stale = gone.slice(0, 4);
    gone.buf = RegisteredBuffer{};
    Region reuse(16);
    EXPECT_EQ(rq.send({&stale, 1}, 0, nullptr), wsa::einval);
}

TEST_P(RioRules, DeregisteringRegionWithRequestsInFlightIsDeferredSafely) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    const std::size_t before = live_buffer_registrations();
    std::vector<char> memory(32, 0);
    auto id = register_buffer(memory);
    ASSERT_TRUE(id.ok());
    RIO_BUF b{id.value(), 0, 32};
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    EXPECT_EQ(deregister_buffer(id.value()), 0); // accepted...
    EXPECT_EQ(live_buffer_registrations(),
              before + registrations_per_used_region(GetParam())); // ...but deferred
    EXPECT_EQ(rq.send({&b, 1}, 0, ctx(2)), wsa::einval);           // the id is unusable at once
    EXPECT_EQ(deregister_buffer(id.value()), wsa::einval); // and cannot be deregistered twice
    ASSERT_TRUE(pair.peer_send("late data"));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(std::string(memory.data(), 9), "late data"); // the in-flight receive still landed
    EXPECT_EQ(live_buffer_registrations(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, RioRules, platform_backends(), backend_param_name);

} // namespace
} // namespace riosp::rio::test
