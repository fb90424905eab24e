// RIONotify armed in the kernel, for io_uring CQs whose notification is an eventfd: no thread of
// rio's between the completion and the application's wake-up.
//
// Otherwise an armed notification is the progress thread's: it watches the ring's descriptor,
// wakes when a CQE is posted, takes the CQ lock, reaps and writes the eventfd; the thread the
// application blocks in wakes after that hop (two context switches and three system calls per
// notification, on a 2-vCPU machine the bulk of a notified ping-pong's overhead).
//
// Here a second, tiny ring (one per CQ, made at its first RIONotify) holds the application's
// eventfd as its registered eventfd, and arming is one IORING_OP_POLL_ADD (one-shot) on the CQ's
// ring descriptor, submitted by the notify() call. The first CQE posted to the CQ's ring
// completes that poll, and the poll's CQE in the small ring signals the eventfd, in the thread
// whose completion work runs (usually the very thread about to wait). Poll arming is the
// kernel's race-free wait-queue pattern: a CQE posted while the poll is being armed is seen.
//
// Exactness (docs/rio.md's notification rules):
// - only completions that may notify may fire it: the kernel is armed only while no request
//   posted with RIO_MSG_DONT_NOTIFY is outstanding on the CQ (a later one disarms it first),
//   no progress backlog needs the progress thread, and nobody sleeps in CompletionQueue::wait;
// - it fires once: the poll is one-shot and the small ring posts nothing else the eventfd
//   would count (disarming turns the eventfd off with IORING_CQ_EVENTFD_DISABLED first: the
//   small ring's CQEs are then posted by the disarming thread itself, which sees its own flag);
// - rio does not signal a second time: completions reaped from the CQ's ring while the poll
//   is armed leave the signal to the kernel (those CQEs are what completed the poll); a
//   completion rio makes itself (a cancelled request that never reached the kernel, a datagram
//   sent by sendmmsg) disarms the kernel first and signals as before.
// - a thread that exits takes its io_uring requests on io_uring descriptors with it: the kernel
//   cancels such a poll, and that cancellation's CQE would signal the eventfd like a fired one.
//   So each thread that armed one leaves a thread_local guard, whose destructor (before the
//   kernel's exit path) turns the eventfd off for its polls and hands each notification to
//   the progress thread, which reaps and signals when a completion comes, as before.
#include <rio/posix/detail_posix.h>

#include <liburing.h>
#include <poll.h>

#include <mutex>
#include <new>
#include <thread>

namespace riosp::rio::detail {

struct UringNotify {
    io_uring ring{};
    Cq* cq = nullptr;
    std::uint64_t generation = 0; // user data of the armed poll: CQEs of an older one are stale
    bool armed = false;           // a poll of `generation` is in the kernel
    bool reaping = false;         // uring_reap_locked is turning CQEs into completions
    // The armed poll's thread exited: its cancellation is not a delivery (set by that thread's
    // guard, read under the CQ lock).
    std::atomic<bool> orphaned{false};
    // The list of armed polls (Armed below), and the thread that submitted this one.
    std::thread::id armer{};
    UringNotify* prev = nullptr;
    UringNotify* next = nullptr;
};

namespace {

// Every armed poll, for the exit of the thread that armed it. Lock order: a CQ lock, then mu
// (arming and disarming are under the CQ lock); a CQ's close takes its entry out before the
// CQ goes, so an entry's CQ is alive while mu is held.
struct Armed {
    std::mutex mu;
    UringNotify* head = nullptr;
};

Armed& armed_polls() noexcept {
    static auto* armed = new Armed; // never destroyed: threads exit after static destructors
    return *armed;
}

void list_locked(UringNotify& n, bool in) noexcept {
    Armed& a = armed_polls();
    std::lock_guard lock(a.mu);
    const bool listed = n.prev != nullptr || a.head == &n;
    if (in && !listed) {
        n.next = a.head;
        if (a.head != nullptr)
            a.head->prev = &n;
        a.head = &n;
    } else if (!in && listed) {
        (n.prev != nullptr ? n.prev->next : a.head) = n.next;
        if (n.next != nullptr)
            n.next->prev = n.prev;
        n.prev = n.next = nullptr;
    }
}

void set_eventfd_off(UringNotify& n, bool off) noexcept;

// The destructor runs when a thread that armed a poll exits, before the kernel cancels the
// thread's requests.
struct ArmerGuard {
    ~ArmerGuard() {
        const std::thread::id self = std::this_thread::get_id();
        Armed& a = armed_polls();
        std::lock_guard lock(a.mu);
        for (UringNotify* n = a.head; n != nullptr; n = n->next) {
            if (n->armer != self || n->orphaned.load(std::memory_order_relaxed))
                continue;
            n->orphaned.store(true, std::memory_order_relaxed);
            set_eventfd_off(*n, true); // this thread posts the cancellation: it sees the flag
            // The CQ is alive (its close unlists it first); watching its ring takes no lock.
            (void)ProgressThread::instance(Backend::uring)
                .modify(uring_ring_fd(*n->cq), n->cq->poll_token, EPOLLIN | EPOLLONESHOT);
        }
    }
};
thread_local ArmerGuard armer_guard;

void set_eventfd_off(UringNotify& n, bool off) noexcept {
    // A full barrier either way (an atomic RMW): the kernel reads the flag when it posts.
    unsigned* flags = n.ring.cq.kflags;
    if (off)
        __atomic_fetch_or(flags, IORING_CQ_EVENTFD_DISABLED, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(flags, ~unsigned{IORING_CQ_EVENTFD_DISABLED}, __ATOMIC_SEQ_CST);
}

// The small ring's CQEs: the armed poll's (fired, or cancelled by its thread's exit, both of
// which signalled the eventfd) ends the kernel's arming; stale ones are dropped. Returns
// whether the armed poll ended with a CQE of its own saying it fired (res > 0).
bool drain(UringNotify& n) noexcept {
    bool fired = false;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&n.ring, head, cqe) {
        ++seen;
        if (n.armed && cqe->user_data == n.generation) {
            n.armed = false;
            fired = cqe->res > 0;
        }
    }
    io_uring_cq_advance(&n.ring, seen);
    if (!n.armed)
        list_locked(n, false);
    return fired;
}

// The armed poll's thread exited: the progress thread has the notification now (the guard
// asked it to watch) and the poll's cancellation signalled nobody; the poll may also have fired
// before. Sets `fired` to whether it did, and makes the ring ready to arm again.
bool orphaned(UringNotify& n, bool& fired) noexcept {
    fired = false;
    if (!n.orphaned.load(std::memory_order_relaxed))
        return false;
    fired = drain(n);
    n.armed = false;
    list_locked(n, false);
    n.orphaned.store(false, std::memory_order_relaxed);
    set_eventfd_off(n, false);
    return true;
}

UringNotify* open_notify(Cq& cq) noexcept {
    if (cq.uring_notify != nullptr)
        return cq.uring_notify;
    auto* n = new (std::nothrow) UringNotify;
    if (n == nullptr)
        return nullptr;
    if (io_uring_queue_init(2, &n->ring, 0) != 0) {
        delete n;
        return nullptr;
    }
    if (n->ring.cq.kflags == nullptr || io_uring_register_eventfd(&n->ring, cq.event_fd) != 0) {
        io_uring_queue_exit(&n->ring);
        delete n;
        return nullptr;
    }
    n->cq = &cq;
    cq.uring_notify = n;
    return n;
}

} // namespace

bool uring_notify_arm_locked(Cq& cq) noexcept {
    if (!cq.has_notification || cq.event_fd < 0 || cq.dont_notify > 0 || cq.backlog > 0 ||
        cq.ring_waiters > 0)
        return false;
    UringNotify* n = open_notify(cq);
    if (n == nullptr)
        return false;
    bool fired = false;
    (void)orphaned(*n, fired);
    (void)drain(*n);
    if (n->armed)
        return true;
    io_uring_sqe* sqe = io_uring_get_sqe(&n->ring);
    if (sqe == nullptr)
        return false;
    io_uring_prep_poll_add(sqe, uring_ring_fd(cq), POLLIN);
    io_uring_sqe_set_data64(sqe, ++n->generation);
    cq.syscalls.fetch_add(1, std::memory_order_relaxed);
    (void)&armer_guard; // this thread's exit must know
    n->armer = std::this_thread::get_id();
    if (io_uring_submit(&n->ring) != 1)
        return false;
    n->armed = true;
    list_locked(*n, true);
    return true;
}

bool uring_notify_disarm_locked(Cq& cq) noexcept {
    UringNotify* n = cq.uring_notify;
    bool fired = false;
    if (n == nullptr || orphaned(*n, fired))
        return fired;
    fired = drain(*n);
    if (!n->armed)
        return fired;
    set_eventfd_off(*n, true);
    io_uring_sqe* sqe = io_uring_get_sqe(&n->ring);
    if (sqe != nullptr) {
        io_uring_prep_poll_remove(sqe, n->generation);
        io_uring_sqe_set_data64(sqe, 0);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        cq.syscalls.fetch_add(1, std::memory_order_relaxed);
        // The removal runs in this thread's io_uring_enter and posts the poll's CQE at once,
        // with the eventfd off; a poll that fired first posted its CQE already.
        if (io_uring_submit_and_wait(&n->ring, 1) >= 0)
            fired = drain(*n) || fired;
    }
    set_eventfd_off(*n, false);
    // A poll whose CQE did not come (removal refused: it is being completed) may still post
    // one: a later drain sees its generation as stale.
    n->armed = false;
    list_locked(*n, false);
    return fired;
}

bool uring_notify_armed(const Cq& cq) noexcept {
    return cq.uring_notify != nullptr && cq.uring_notify->armed &&
           !cq.uring_notify->orphaned.load(std::memory_order_relaxed);
}

bool uring_notify_settle_locked(Cq& cq) noexcept {
    UringNotify* n = cq.uring_notify;
    bool fired = false;
    if (n == nullptr || orphaned(*n, fired))
        return fired;
    const bool was_armed = n->armed;
    (void)drain(*n);
    return was_armed && !n->armed; // the kernel delivered it (the eventfd was signalled)
}

void uring_notify_reaping(Cq& cq, bool on) noexcept {
    if (cq.uring_notify != nullptr)
        cq.uring_notify->reaping = on;
}

bool uring_notify_signal_locked(Cq& cq) noexcept {
    UringNotify* n = cq.uring_notify;
    bool fired = false;
    if (n == nullptr || orphaned(*n, fired) || !n->armed)
        return false;
    // A CQE reaped while the poll is armed completed (or is completing) that poll: the kernel
    // signals the eventfd.
    if (n->reaping)
        return true;
    (void)uring_notify_disarm_locked(cq);
    return false; // rio signals
}

void uring_notify_close(Cq& cq) noexcept {
    UringNotify* n = cq.uring_notify;
    if (n == nullptr)
        return;
    set_eventfd_off(*n, true); // the ring's teardown cancels an armed poll: no signal for it
    list_locked(*n, false);
    io_uring_queue_exit(&n->ring);
    delete n;
    cq.uring_notify = nullptr;
}

} // namespace riosp::rio::detail
