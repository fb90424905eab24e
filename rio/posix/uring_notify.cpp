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
// What the kernel does on its own: it cancels a poll whose submitting thread exits, and that
// cancellation's CQE signals the eventfd too. A notification armed by a thread that exits
// before it fires therefore fires then: a wake-up that may find nothing to dequeue (rio/README.md).
#include <rio/posix/detail_posix.h>

#include <liburing.h>
#include <poll.h>

#include <new>

namespace riosp::rio::detail {

struct UringNotify {
    io_uring ring{};
    std::uint64_t generation = 0; // user data of the armed poll: CQEs of an older one are stale
    bool armed = false;           // a poll of `generation` is in the kernel
    bool reaping = false;         // uring_reap_locked is turning CQEs into completions
};

namespace {

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
    return fired;
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
    (void)drain(*n);
    if (n->armed)
        return true;
    io_uring_sqe* sqe = io_uring_get_sqe(&n->ring);
    if (sqe == nullptr)
        return false;
    io_uring_prep_poll_add(sqe, uring_ring_fd(cq), POLLIN);
    io_uring_sqe_set_data64(sqe, ++n->generation);
    cq.syscalls.fetch_add(1, std::memory_order_relaxed);
    if (io_uring_submit(&n->ring) != 1)
        return false;
    n->armed = true;
    return true;
}

bool uring_notify_disarm_locked(Cq& cq) noexcept {
    UringNotify* n = cq.uring_notify;
    if (n == nullptr)
        return false;
    bool fired = drain(*n);
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
    return fired;
}

bool uring_notify_armed(const Cq& cq) noexcept {
    return cq.uring_notify != nullptr && cq.uring_notify->armed;
}

bool uring_notify_settle_locked(Cq& cq) noexcept {
    UringNotify* n = cq.uring_notify;
    if (n == nullptr)
        return false;
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
    if (n == nullptr || !n->armed)
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
    io_uring_queue_exit(&n->ring);
    delete n;
    cq.uring_notify = nullptr;
}

} // namespace riosp::rio::detail
