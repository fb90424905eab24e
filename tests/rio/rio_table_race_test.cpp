// The C table under concurrent misuse: a queue closed by one thread while another's call is
// using it. Windows leaves RIO's queues unsynchronised (only RIO_MSG_COMMIT_ONLY may run
// concurrently); riosp gives each race a documented outcome instead (rio/README.md, "C table
// specifics"): a close waits for the calls that already found the queue, and later calls get
// the closed handle's error. Each race is made to happen at the one point where it matters by
// holding the first call up there (rio::testing::set_table_hook); on the table before the fix
// the held call then used a queue that was gone (std::terminate or a use-after-free).
#include "rio_test_support.h"

#include <rio/rio_table.h>
#include <rio/rio_testing.h>
#include <rio/wsa_error.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace riosp::rio::test {
namespace {

using testing::TableStep;

// Holds this thread's next table call up at `step` and runs `racer` meanwhile on a thread of its
// own, waiting for it at most `window`: whether the racer got through while the call was held
// is the verdict. The racer is joined when the race ends (it may be waiting for the held call).
class RaceAt {
public:
    RaceAt(TableStep step, std::function<void()> racer, std::chrono::milliseconds window = 200ms)
        : step_(step), window_(window), racer_(std::move(racer)),
          caller_(std::this_thread::get_id()) {
        testing::set_table_hook(&RaceAt::on_step, this);
    }
    ~RaceAt() { end(); }
    RaceAt(const RaceAt&) = delete;
    RaceAt& operator=(const RaceAt&) = delete;

    void end() {
        testing::set_table_hook(nullptr, nullptr);
        if (thread_.joinable())
            thread_.join();
    }
    [[nodiscard]] bool held() const { return held_; }
    [[nodiscard]] bool racer_got_through() const { return through_; }

private:
    static void on_step(TableStep step, void* arg) {
        auto* self = static_cast<RaceAt*>(arg);
        if (step != self->step_ || std::this_thread::get_id() != self->caller_ || self->held_)
            return;
        self->held_ = true;
        self->thread_ = std::thread([self] {
            self->racer_();
            std::lock_guard lock(self->mu_);
            self->done_ = true;
            self->cv_.notify_all();
        });
        std::unique_lock lock(self->mu_);
        self->through_ = self->cv_.wait_for(lock, self->window_, [self] { return self->done_; });
    }

    const TableStep step_;
    const std::chrono::milliseconds window_;
    const std::function<void()> racer_;
    const std::thread::id caller_;
    bool held_ = false;    // the caller's thread only
    bool through_ = false; // likewise
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
};

// Another CQ with an RQ and a completion waiting in it: what a race elsewhere must not touch.
struct Bystander {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    TcpPair pair;
    char mem[16] = "bystander";
    RIO_BUFFERID id = t.RIORegisterBuffer(mem, sizeof mem);
    RIO_CQ cq = t.RIOCreateCompletionQueue(8, nullptr);
    RIO_RQ rq =
        t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 2, 1, 2, 1, cq, cq, ctx(0xB1));
    Bystander() {
        EXPECT_NE(rq, RIO_INVALID_RQ);
        RIO_BUF b{id, 0, 9};
        EXPECT_TRUE(t.RIOSend(rq, &b, 1, 0, ctx(0xB2)));
        EXPECT_EQ(pair.peer_recv(9), "bystander");
    }
    ~Bystander() {
        close_request_queue(rq);
        t.RIOCloseCompletionQueue(cq);
        t.RIODeregisterBuffer(id);
    }
    // Its send's completion, intact, and the RQ still moving bytes.
    void expect_unharmed() {
        RIORESULT r{};
        ULONG n = 0;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (n == 0 && std::chrono::steady_clock::now() < deadline)
            n = t.RIODequeueCompletion(cq, &r, 1);
        ASSERT_EQ(n, 1U);
        EXPECT_EQ(r.Status, 0);
        EXPECT_EQ(r.BytesTransferred, 9U);
        EXPECT_EQ(r.SocketContext, 0xB1U);
        EXPECT_EQ(r.RequestContext, 0xB2U);
        RIO_BUF b{id, 0, 9};
        ASSERT_TRUE(t.RIOSend(rq, &b, 1, 0, ctx(0xB3)));
        EXPECT_EQ(pair.peer_recv(9), "bystander");
    }
};

ULONG dequeue_one_within(const RIO_EXTENSION_FUNCTION_TABLE& t, RIO_CQ cq, RIORESULT& r) {
    ULONG n = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (n == 0 && std::chrono::steady_clock::now() < deadline) {
        n = t.RIODequeueCompletion(cq, &r, 1);
        if (n == 0)
            std::this_thread::sleep_for(1ms);
    }
    return n;
}

// RIOCloseCompletionQueue racing RIODequeueCompletion and RIONotify: the close waits for the
// call that already found the CQ; afterwards the handle is dead.
TEST(RioTableRaces, CloseCompletionQueueWaitsForADequeueOrNotifyThatFoundIt) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    Bystander other;
    for (const bool notify : {false, true}) {
        SCOPED_TRACE(notify ? "RIONotify" : "RIODequeueCompletion");
        TestEvent ev;
        RIO_NOTIFICATION_COMPLETION n = event_notification(ev);
        RIO_CQ cq = t.RIOCreateCompletionQueue(8, &n);
        ASSERT_NE(cq, RIO_INVALID_CQ);
        RaceAt race(TableStep::in_call, [&] { t.RIOCloseCompletionQueue(cq); });
        RIORESULT res[4];
        if (notify)
            EXPECT_EQ(t.RIONotify(cq), 0) << "the CQ was open when the call found it";
        else
            EXPECT_EQ(t.RIODequeueCompletion(cq, res, 4), 0U) << "open and empty when found";
        race.end();
        EXPECT_TRUE(race.held());
        EXPECT_FALSE(race.racer_got_through())
            << "RIOCloseCompletionQueue returned while a call was using the CQ";
        EXPECT_EQ(t.RIODequeueCompletion(cq, res, 4), RIO_CORRUPT_CQ) << "closed since";
        EXPECT_EQ(t.RIONotify(cq), wsa::einval);
    }
    other.expect_unharmed();
}

// An RQ created on a CQ whose close already found no RQ attached: the creation fails
// (WSAEINVAL: the CQ's handle is closed) instead of attaching to a CQ that is going.
TEST(RioTableRaces, RequestQueueCreatedWhileItsCompletionQueueClosesFailsInsteadOfAttaching) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    Bystander other;
    TcpPair pair;
    RIO_CQ cq = t.RIOCreateCompletionQueue(8, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    RIO_RQ rq = RIO_INVALID_RQ;
    int err = 0;
    RaceAt race(TableStep::closing, [&] {
        rq = t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 1, 1, 1, 1, cq, cq, nullptr);
        err = last_error();
    });
    set_last_error(0);
    t.RIOCloseCompletionQueue(cq);
    EXPECT_EQ(last_error(), 0) << "the close went ahead";
    race.end();
    ASSERT_TRUE(race.held());
    EXPECT_EQ(rq, RIO_INVALID_RQ) << "an RQ on a CQ being closed";
    EXPECT_EQ(err, wsa::einval);
    RIORESULT r;
    EXPECT_EQ(t.RIODequeueCompletion(cq, &r, 1), RIO_CORRUPT_CQ);
    other.expect_unharmed();
}

// The other order: RIOCreateRequestQueue found its CQ, then a close (which found nothing
// attached yet) ended the CQ's handle. The close waits for the creation, which sees the CQ
// closed after attaching and undoes itself: neither queue is left behind.
TEST(RioTableRaces, CompletionQueueClosedDuringARequestQueuesCreationLeavesNeither) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    Bystander other;
    TcpPair pair;
    RIO_CQ cq = t.RIOCreateCompletionQueue(8, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    int close_err = -1;
    RaceAt race(TableStep::in_call, [&] {
        set_last_error(0);
        t.RIOCloseCompletionQueue(cq);
        close_err = last_error();
    });
    set_last_error(0);
    const RIO_RQ rq =
        t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 1, 1, 1, 1, cq, cq, nullptr);
    const int err = last_error();
    race.end();
    ASSERT_TRUE(race.held());
    EXPECT_FALSE(race.racer_got_through())
        << "RIOCloseCompletionQueue returned while RIOCreateRequestQueue was using the CQ";
    EXPECT_EQ(rq, RIO_INVALID_RQ);
    EXPECT_EQ(err, wsa::einval);
    EXPECT_EQ(close_err, 0);
    RIORESULT r;
    EXPECT_EQ(t.RIODequeueCompletion(cq, &r, 1), RIO_CORRUPT_CQ);
    other.expect_unharmed();
}

// closesocket closing an application's RQ (close_request_queue) while another thread posts on
// it: the close waits for the post that found the RQ, whose completion (sent, or aborted by
// the close) still reaches the CQ with its context; later posts fail with WSAEINVAL.
TEST(RioTableRaces, ClosingARequestQueueWaitsForAPostThatFoundIt) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    Bystander other;
    TcpPair pair;
    char mem[16] = "posted";
    RIO_BUFFERID id = t.RIORegisterBuffer(mem, sizeof mem);
    RIO_CQ cq = t.RIOCreateCompletionQueue(8, nullptr);
    RIO_RQ rq =
        t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 2, 1, 2, 1, cq, cq, ctx(0x5C));
    ASSERT_NE(rq, RIO_INVALID_RQ);
    RIO_BUF b{id, 0, 6};
    for (const bool send : {true, false}) {
        SCOPED_TRACE(send ? "RIOSend" : "RIOReceive");
        RaceAt race(TableStep::in_call, [&] { close_request_queue(rq); });
        EXPECT_TRUE(send ? t.RIOSend(rq, &b, 1, 0, ctx(0x77))
                         : t.RIOReceive(rq, &b, 1, 0, ctx(0x77)))
            << "the RQ was open when the post found it";
        race.end();
        ASSERT_TRUE(race.held());
        EXPECT_FALSE(race.racer_got_through())
            << "close_request_queue returned while a post was using the RQ";
        RIORESULT r{};
        ASSERT_EQ(dequeue_one_within(t, cq, r), 1U);
        EXPECT_TRUE(r.Status == 0 || r.Status == wsa::operation_aborted) << r.Status;
        EXPECT_EQ(r.SocketContext, 0x5CU);
        EXPECT_EQ(r.RequestContext, 0x77U);
        set_last_error(0);
        EXPECT_FALSE(t.RIOSend(rq, &b, 1, 0, nullptr));
        EXPECT_EQ(last_error(), wsa::einval) << "the RQ is closed";
        rq =
            t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 2, 1, 2, 1, cq, cq, ctx(0x5C));
        ASSERT_NE(rq, RIO_INVALID_RQ);
    }
    close_request_queue(rq);
    t.RIOCloseCompletionQueue(cq);
    t.RIODeregisterBuffer(id);
    other.expect_unharmed();
}

// The same races unsteered, many times, for TSan: one thread dequeues and re-arms RIONotify,
// another posts sends, while the main thread closes the RQ, then the CQ. Every answer is one
// the table documents; nothing is used after it was freed.
TEST(RioTableRaces, ClosingQueuesWhileOtherThreadsDequeueNotifyAndPostStress) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    Bystander other;
    static char mem[64];
    RIO_BUFFERID id = t.RIORegisterBuffer(mem, sizeof mem);
    ASSERT_NE(id, RIO_INVALID_BUFFERID);
    for (int round = 0; round < 40; ++round) {
        TcpPair pair;
        TestEvent ev;
        RIO_NOTIFICATION_COMPLETION n = event_notification(ev);
        RIO_CQ cq = t.RIOCreateCompletionQueue(64, &n);
        ASSERT_NE(cq, RIO_INVALID_CQ);
        RIO_RQ rq =
            t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 8, 1, 8, 1, cq, cq, nullptr);
        ASSERT_NE(rq, RIO_INVALID_RQ);
        std::atomic<int> bad{0};
        std::atomic<int> started{0};
        std::thread dequeuer([&] {
            ++started;
            RIORESULT res[8];
            for (;;) {
                const ULONG got = t.RIODequeueCompletion(cq, res, 8);
                if (got == RIO_CORRUPT_CQ)
                    break;
                if (got > 8)
                    ++bad;
                const int err = t.RIONotify(cq);
                if (err != 0 && err != wsa::ealready && err != wsa::einval)
                    ++bad;
            }
        });
        std::thread poster([&] {
            ++started;
            RIO_BUF b{id, 0, 8};
            for (;;) {
                if (t.RIOSend(rq, &b, 1, 0, nullptr))
                    continue;
                const int err = last_error();
                if (err == wsa::einval)
                    break;
                if (err != wsa::enobufs)
                    ++bad;
                std::this_thread::yield();
            }
        });
        while (started.load() < 2)
            std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::microseconds(200 + 50 * round));
        close_request_queue(rq);
        set_last_error(0);
        t.RIOCloseCompletionQueue(cq);
        EXPECT_EQ(last_error(), 0) << "round " << round;
        poster.join();
        dequeuer.join();
        EXPECT_EQ(bad.load(), 0) << "round " << round;
    }
    t.RIODeregisterBuffer(id);
    other.expect_unharmed();
}

} // namespace
} // namespace riosp::rio::test
