// The RIO rules of notification (RIONotify), deferred submission (RIO_MSG_DEFER) and
// wait-all receives (RIO_MSG_WAITALL), on every backend (rio_rules_fixture.h; docs/rio.md).
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

// ------------------------------------------------------------------ RIONotify
TEST_P(RioRules, NotifyAllowsOneOutstandingRequestSecondGetsAlready) {
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    EXPECT_EQ(cq.notify(), 0);
    EXPECT_EQ(cq.notify(), wsa::ealready);
    EXPECT_FALSE(event_signaled(ev, 20ms));
}

TEST_P(RioRules, NotifySignalsEventWithoutTheApplicationCallingRio) {
    TcpPair pair;
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(5)), 0);
    ASSERT_EQ(cq.notify(), 0);
    ASSERT_TRUE(pair.peer_send("wake"));
    EXPECT_TRUE(event_signaled(ev, 5000ms)); // nobody dequeues meanwhile
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].RequestContext, 5U);
    EXPECT_EQ(cq.notify(), 0); // the notification was consumed: a new one may be armed
}

// io_uring: an armed RIONotify is the kernel's (rio/posix/uring_notify.cpp), so the completion
// that satisfies it signals the event without a hop through rio's progress thread, here from
// another thread than the one that armed it, and for a receive posted by a third.
TEST_P(RioRules, NotifiedCompletionSignalsTheEventWithoutTheProgressThread) {
    if (GetParam() != Backend::uring)
        GTEST_SKIP() << "the epoll backend's progress thread is the one that does its I/O";
    TcpPair pair;
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    std::thread([&] { ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(5)), 0); }).join();
    std::atomic<bool> done{false};
    std::thread armer([&] { // arms it, and lives on until it fired
        EXPECT_EQ(cq.notify(), 0);
        while (!done.load())
            std::this_thread::sleep_for(1ms);
    });
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(event_signaled(ev, 0ms));
    const std::uint64_t before = testing::progress_thread_dispatches(Backend::uring);
    ASSERT_TRUE(pair.peer_send("wake"));
    EXPECT_TRUE(event_signaled(ev, 5000ms));
    EXPECT_EQ(testing::progress_thread_dispatches(Backend::uring), before);
    done.store(true);
    armer.join();
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].RequestContext, 5U);
    EXPECT_EQ(r.text(0, 4), "wake");
    ev.reset();
    EXPECT_EQ(cq.notify(), 0); // spent: a new one may be armed, and nothing fires it
    EXPECT_FALSE(event_signaled(ev, 20ms));
}

// A thread that arms RIONotify and exits before it fires: the notification stays armed (the
// kernel cancels the exited thread's poll, which must not look like a completion) and fires
// for the next completion.
TEST_P(RioRules, NotifyArmedByAThreadThatExitedFiresForTheNextCompletionOnly) {
    TcpPair pair;
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    RIO_BUF b = r.slice(0, 64);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(5)), 0);
    std::thread([&] { EXPECT_EQ(cq.notify(), 0); }).join();
    EXPECT_FALSE(event_signaled(ev, 50ms)); // nothing completed
    EXPECT_EQ(cq.notify(), wsa::ealready);  // still armed
    ASSERT_TRUE(pair.peer_send("wake"));
    EXPECT_TRUE(event_signaled(ev, 5000ms));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].RequestContext, 5U);
    EXPECT_EQ(cq.notify(), 0); // spent
}

// The peer's close sends an RST instead of a FIN (SO_LINGER {1, 0}); shutdown(SHUT_WR) still
// sends the FIN under test.
void abort_on_close(const TcpPair& pair) {
    set_abort_on_close(pair.peer);
}

// The provider's worker loop, reduced: one thread owns the CQ, posts a receive, and when the
// 64-byte message completes re-posts a receive from the same thread while the peer's FIN is
// arriving; then "dequeue until empty -> notify -> dequeue -> sleep on the eventfd". The 0-byte
// completion must wake it (io_uring: the completion of a request this thread submitted runs as
// task work queued to it, while it sleeps in poll() on the eventfd, not on the ring).
TEST_P(RioRules, NotifyWakesOwnerThreadForReceiveItPostedItself) {
    TestEvent ev;
    auto n = event_notification(ev); // NotifyReset FALSE: the owner resets it, as the provider
    CompletionQueue cq = make_cq(64, &n);
    Region r(128);
    int lost = 0;
    for (int round = 0; round < 200 && lost == 0; ++round) {
        TcpPair pair;
        abort_on_close(pair); // hundreds of pairs: no TIME_WAIT (ephemeral ports) left behind
        RequestQueue rq = make_rq(pair.local, cq, 2, 2);
        RIO_BUF b = r.slice(0, 128);
        ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
        std::atomic<bool> go{false};
        std::thread peer([&] {
            while (!go.load(std::memory_order_acquire))
                std::this_thread::yield();
            const std::string msg(64, 'm');
            (void)send_all(pair.peer, msg.data(), msg.size());
            shutdown_send(pair.peer);
        });
        bool got_data = false;
        bool got_fin = false;
        RIORESULT res[8];
        auto drain = [&] {
            const ULONG k = cq.dequeue(res);
            EXPECT_NE(k, RIO_CORRUPT_CQ);
            for (ULONG i = 0; i < k && k != RIO_CORRUPT_CQ; ++i) {
                if (res[i].BytesTransferred > 0) {
                    got_data = true;
                    EXPECT_EQ(rq.receive({&b, 1}, 0, ctx(2)), 0); // re-post from this thread
                } else {
                    got_fin = true;
                }
            }
            return k != RIO_CORRUPT_CQ ? k : 0;
        };
        go.store(true, std::memory_order_release);
        while (!got_fin) {
            if (drain() > 0)
                continue;
            (void)cq.notify();
            if (drain() > 0)
                continue;
            if (!event_signaled(ev, 2000ms)) {
                ++lost;
                ADD_FAILURE() << "round " << round << ": eventfd not signalled within 2 s (data "
                              << got_data << ", later dequeue finds " << cq.dequeue(res)
                              << " completion(s))";
                break;
            }
            ev.reset();
        }
        peer.join();
        rq.cancel_all();
        while (!got_fin && drain() > 0) {
        }
        EXPECT_TRUE(got_data);
    }
    EXPECT_EQ(lost, 0);
    // Leave the CQ with nothing armed that outlives the test.
    RIORESULT rest[8];
    (void)wait_results(cq, 0);
    (void)cq.dequeue(rest);
}

// As above, shaped like the provider: the CQ and the socket's first receive belong to another
// thread (the application's connect); a long-lived worker thread runs the dequeue / notify /
// sleep loop and re-posts the receive after the message, while the peer's FIN is on its way.
TEST_P(RioRules, NotifyWakesWorkerThreadForReceiveItRepostedAfterAMessage) {
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(64, &n);
    Region r(128);
    RIO_BUF b = r.slice(0, 128);
    std::atomic<RequestQueue*> current{nullptr};
    std::atomic<int> fins{0};
    std::atomic<bool> stop{false};
    std::atomic<int> lost{0};
    std::thread worker([&] {
        RIORESULT res[8];
        auto drain = [&] {
            const ULONG k = cq.dequeue(res);
            for (ULONG i = 0; i < k && k != RIO_CORRUPT_CQ; ++i) {
                if (res[i].Status != 0)
                    continue;
                if (res[i].BytesTransferred > 0)
                    (void)current.load()->receive({&b, 1}, 0, ctx(2)); // re-post, this thread
                else
                    fins.fetch_add(1);
            }
            return k != RIO_CORRUPT_CQ ? k : 0;
        };
        while (!stop.load()) {
            if (drain() > 0)
                continue;
            (void)cq.notify();
            if (drain() > 0)
                continue;
            const int want = fins.load();
            if (!event_signaled(ev, 2000ms) && !stop.load() && fins.load() == want &&
                current.load() != nullptr) {
                lost.fetch_add(1);
                stop.store(true);
            }
            ev.reset();
        }
    });
    for (int round = 0; round < 200 && lost.load() == 0; ++round) {
        TcpPair pair;
        abort_on_close(pair);
        RequestQueue rq = make_rq(pair.local, cq, 2, 2);
        current.store(&rq);
        const int before = fins.load();
        const std::string msg(64, 'm');
        if (rq.receive({&b, 1}, 0, ctx(1)) != 0 || // the "application" posts the first one
            !send_all(pair.peer, msg.data(), msg.size())) {
            ADD_FAILURE() << "round " << round << ": setup failed";
            current.store(nullptr);
            break; // the worker thread must still be joined
        }
        shutdown_send(pair.peer);
        const auto deadline = std::chrono::steady_clock::now() + 3s;
        while (fins.load() == before && lost.load() == 0 &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(100us);
        EXPECT_EQ(fins.load(), before + 1) << "round " << round << ": the 0-byte receive "
                                           << "completion never woke the worker";
        if (fins.load() == before)
            break;
        current.store(nullptr);
    }
    stop.store(true);
    ev.set();
    worker.join();
    EXPECT_EQ(lost.load(), 0);
}

TEST_P(RioRules, NotifyFiresAtOnceWhenCompletionsAreAlreadyQueued) {
    TcpPair pair;
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(8);
    RIO_BUF b = r.slice(0, 1);
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(pair.peer_recv(1).size(), 1U);
    std::this_thread::sleep_for(20ms);
    ASSERT_EQ(cq.notify(), 0);
    EXPECT_TRUE(event_signaled(ev, 2000ms));
}

TEST_P(RioRules, DontNotifyCompletionsNeverTriggerNotify) {
    TcpPair pair;
    TestEvent ev;
    auto n = event_notification(ev);
    CompletionQueue cq = make_cq(16, &n);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(8);
    RIO_BUF b = r.slice(0, 1);
    // Completed before arming...
    ASSERT_EQ(rq.send({&b, 1}, RIO_MSG_DONT_NOTIFY, ctx(1)), 0);
    ASSERT_EQ(pair.peer_recv(1).size(), 1U);
    std::this_thread::sleep_for(20ms);
    ASSERT_EQ(cq.notify(), 0);
    // ...and completed while armed.
    ASSERT_EQ(rq.send({&b, 1}, RIO_MSG_DONT_NOTIFY, ctx(2)), 0);
    ASSERT_EQ(pair.peer_recv(1).size(), 1U);
    EXPECT_FALSE(event_signaled(ev, 150ms));
    EXPECT_EQ(cq.notify(), wsa::ealready); // still armed
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(3)), 0);
    EXPECT_TRUE(event_signaled(ev, 5000ms)); // an ordinary completion does trigger it
    auto res = wait_results(cq, 3);
    ASSERT_EQ(res.size(), 3U);
    EXPECT_EQ(res[2].RequestContext, 3U);
}

TEST_P(RioRules, NotifyResetTrueResetsTheEventWhenNotifyIsCalled) {
    TestEvent ev;
    auto n = event_notification(ev, true);
    CompletionQueue cq = make_cq(16, &n);
    ev.set();
    ASSERT_TRUE(event_signaled(ev, 0ms));
    ASSERT_EQ(cq.notify(), 0);
    EXPECT_FALSE(event_signaled(ev, 0ms));
}

TEST_P(RioRules, NotifyResetFalseLeavesTheEventAlone) {
    TestEvent ev;
    auto n = event_notification(ev, false);
    CompletionQueue cq = make_cq(16, &n);
    ev.set();
    ASSERT_EQ(cq.notify(), 0);
    EXPECT_TRUE(event_signaled(ev, 0ms));
}

TEST_P(RioRules, NotifyOnPollingQueueAndIocpNotificationAreInvalid) {
    CompletionQueue polling = make_cq(4);
    EXPECT_EQ(polling.notify(), wsa::einval);
    RIO_NOTIFICATION_COMPLETION iocp{};
    iocp.Type = RIO_IOCP_COMPLETION;
    auto refused = CompletionQueue::create(4, &iocp, opts());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error(), wsa::einval);
    RIO_NOTIFICATION_COMPLETION null_event{};
    null_event.Type = RIO_EVENT_COMPLETION;
    auto no_event = CompletionQueue::create(4, &null_event, opts());
    EXPECT_EQ(no_event.error(), wsa::einval);
}

// ------------------------------------------------------------------ RIO_MSG_DEFER batching
TEST_P(RioRules, DeferredSendsReachTheKernelInOneSubmissionAtCommitOnly) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 4, 4);
    Region r(64);
    r.fill(0, "aaabbbccc");
    RIO_BUF b[3] = {r.slice(0, 3), r.slice(3, 3), r.slice(6, 3)};
    const std::uint64_t before = cq.submit_calls();
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(rq.send({&b[i], 1}, RIO_MSG_DEFER, ctx(10 + i)), 0);
    EXPECT_EQ(cq.submit_calls(), before); // nothing went to the kernel
    EXPECT_TRUE(pair.peer_has_nothing());
    ASSERT_EQ(rq.send({}, RIO_MSG_COMMIT_ONLY, nullptr), 0);
    EXPECT_EQ(cq.submit_calls(), before + 1); // the whole batch in one io_uring_enter
    EXPECT_EQ(pair.peer_recv(9), "aaabbbccc");
    auto res = wait_results(cq, 3);
    ASSERT_EQ(res.size(), 3U);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(res[i].RequestContext, static_cast<ULONGLONG>(10 + i));
}

// Linux: sends of a shared CQ that the socket takes at once leave from the committing thread,
// a batch gathered into one sendmsg, and complete there: their completions are queued when the
// commit returns, and nothing waits in the kernel to be reaped.
TEST_P(RioRules, CommittedStreamSendsTheSocketTakesCompleteInOneSystemCallAtTheCommit) {
    if (GetParam() != Backend::uring && GetParam() != Backend::epoll)
        GTEST_SKIP() << "Linux backends";
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 4, 4);
    Region r(64);
    r.fill(0, "aaabbbcccd");
    RIO_BUF b[4] = {r.slice(0, 3), r.slice(3, 3), r.slice(6, 3), r.slice(9, 1)};
    const std::uint64_t before = testing::io_system_calls(cq);
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(rq.send({&b[i], 1}, RIO_MSG_DEFER, ctx(10 + i)), 0);
    ASSERT_EQ(rq.send({}, RIO_MSG_COMMIT_ONLY, nullptr), 0);
    EXPECT_EQ(testing::io_system_calls(cq), before + 1);
    EXPECT_EQ(testing::queued_completions(cq), 3U);
    ASSERT_EQ(rq.send({&b[3], 1}, 0, ctx(13)), 0); // a lone send: the same
    EXPECT_EQ(testing::io_system_calls(cq), before + 2);
    EXPECT_EQ(testing::queued_completions(cq), 4U);
    EXPECT_EQ(pair.peer_recv(10), "aaabbbcccd");
    auto res = wait_results(cq, 4);
    ASSERT_EQ(res.size(), 4U);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(res[i].RequestContext, static_cast<ULONGLONG>(10 + i));
        EXPECT_EQ(res[i].BytesTransferred, i < 3 ? 3U : 1U);
    }
}

TEST_P(RioRules, NonDeferredRequestCommitsEarlierDeferredOnesInOneSubmission) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq, 4, 4);
    Region r(64);
    RIO_BUF b[3] = {r.slice(0, 8), r.slice(8, 8), r.slice(16, 8)};
    const std::uint64_t before = cq.submit_calls();
    ASSERT_EQ(rq.receive({&b[0], 1}, RIO_MSG_DEFER | RIO_MSG_WAITALL, ctx(1)), 0);
    ASSERT_EQ(rq.receive({&b[1], 1}, RIO_MSG_DEFER | RIO_MSG_WAITALL, ctx(2)), 0);
    EXPECT_EQ(cq.submit_calls(), before);
    ASSERT_EQ(rq.receive({&b[2], 1}, RIO_MSG_WAITALL, ctx(3)), 0);
    EXPECT_EQ(cq.submit_calls(), before + 1);
    ASSERT_TRUE(pair.peer_send("11111111222222223333333"));
    ASSERT_TRUE(pair.peer_send("3"));
    auto res = wait_results(cq, 3);
    ASSERT_EQ(res.size(), 3U);
    EXPECT_EQ(r.text(0, 24), "111111112222222233333333");
    EXPECT_EQ(res[2].BytesTransferred, 8U);
}

TEST_P(RioRules, CommitOnlyWithOtherFlagsOrWaitAllOnSendIsInvalid) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(8);
    RIO_BUF b = r.slice(0, 1);
    EXPECT_EQ(rq.send({&b, 1}, RIO_MSG_COMMIT_ONLY | RIO_MSG_DEFER, nullptr), wsa::einval);
    EXPECT_EQ(rq.send({&b, 1}, RIO_MSG_WAITALL, nullptr), wsa::einval);
    EXPECT_EQ(rq.send({&b, 1}, 0x100, nullptr), wsa::einval);
    EXPECT_EQ(rq.send({}, 0, nullptr), wsa::einval);            // a data request needs its buffer
    EXPECT_EQ(rq.receive({}, RIO_MSG_COMMIT_ONLY, nullptr), 0); // nothing deferred: a no-op
}

// ------------------------------------------------------------------ RIO_MSG_WAITALL
TEST_P(RioRules, WaitAllReceiveCompletesOnlyWhenTheBufferIsFull) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(100);
    RIO_BUF b = r.slice(0, 100);
    ASSERT_EQ(rq.receive({&b, 1}, RIO_MSG_WAITALL, ctx(1)), 0);
    ASSERT_TRUE(pair.peer_send(std::string(40, 'x')));
    EXPECT_TRUE(wait_results(cq, 1, 100ms).empty());
    ASSERT_TRUE(pair.peer_send(std::string(60, 'y')));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].BytesTransferred, 100U);
    EXPECT_EQ(r.text(0, 100), std::string(40, 'x') + std::string(60, 'y'));
}

TEST_P(RioRules, ReceiveWithoutWaitAllCompletesWithWhatArrived) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(100);
    RIO_BUF b = r.slice(0, 100);
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    ASSERT_TRUE(pair.peer_send(std::string(40, 'x')));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].BytesTransferred, 40U);
}

TEST_P(RioRules, WaitAllReceiveCutShortByFinCompletesPartialThenLaterReceivesGetZero) {
    TcpPair pair;
    CompletionQueue cq = make_cq(16);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(200);
    RIO_BUF b1 = r.slice(0, 100);
    RIO_BUF b2 = r.slice(100, 100);
    ASSERT_EQ(rq.receive({&b1, 1}, RIO_MSG_WAITALL | RIO_MSG_DEFER, ctx(1)), 0);
    ASSERT_EQ(rq.receive({&b2, 1}, RIO_MSG_WAITALL, ctx(2)), 0);
    ASSERT_TRUE(pair.peer_send("partial"));
    shutdown_send(pair.peer);
    auto res = wait_results(cq, 2);
    ASSERT_EQ(res.size(), 2U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].BytesTransferred, 7U);
    EXPECT_EQ(res[1].Status, 0); // not aborted: the FIN ended it
    EXPECT_EQ(res[1].BytesTransferred, 0U);
}

} // namespace
} // namespace riosp::rio::test
