// io_uring backend: one ring per CompletionQueue, submissions serialised by the CQ's lock.
//
// Ordering: io_uring does not order two sends on one socket issued by separate submissions (a
// send that hits a full socket is parked on poll while a later one may go inline), so each
// request-queue direction has at most one chain in the kernel; a chain is the committed
// requests linked with IOSQE_IO_LINK and handed over by ONE io_uring_enter (that is also how a
// RIO_MSG_DEFER batch reaches the kernel). Requests committed while a chain runs wait in the
// direction's FIFO and go as the next chain when the last CQE of the running one is reaped —
// by dequeue(), or by the poller thread when nobody dequeues (it watches the ring only while
// something waits: an armed RIONotify or such a backlog).
//
// A chain breaks when a member fails or a MSG_WAITALL receive comes up short (peer FIN); the
// kernel then cancels the rest with -ECANCELED. Those were not cancelled by the application,
// so they are put back and resubmitted, keeping their order; only cancel_all() yields 995.
#include <rio/detail.h>

#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

namespace riosp::rio::detail {

namespace {
constexpr unsigned kSqEntries = 256;
constexpr unsigned kMaxCqEntries = 65536; // kernel limit with IORING_SETUP_CQSIZE
constexpr unsigned kFixedFiles = 4096;
constexpr unsigned kMaxReapPerCall = 1024; // fairness: bound the work one dequeue does

const char* errno_name(int err) noexcept {
    const char* name = ::strerrorname_np(err);
    return name != nullptr ? name : "unknown error";
}

UringProbe run_probe() noexcept {
    UringProbe p;
    io_uring ring{};
    io_uring_params params{};
    int rc = io_uring_queue_init_params(4, &ring, &params);
    if (rc < 0) {
        const char* hint = (-rc == EPERM || -rc == EACCES)
                               ? " — blocked by seccomp or kernel.io_uring_disabled?"
                           : -rc == ENOSYS ? " — kernel without io_uring"
                                           : "";
        std::snprintf(p.why, sizeof p.why, "io_uring_setup: %s%s", errno_name(-rc), hint);
        return p;
    }
    bool ops = false;
    if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
        ops = io_uring_opcode_supported(probe, IORING_OP_SEND) &&
              io_uring_opcode_supported(probe, IORING_OP_RECV) &&
              io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
        io_uring_free_probe(probe);
    }
    const bool nodrop = (params.features & IORING_FEAT_NODROP) != 0;
    io_uring_queue_exit(&ring);
    if (!ops || !nodrop) {
        std::snprintf(p.why, sizeof p.why, "io_uring lacks %s",
                      !ops ? "send/recv/cancel opcodes" : "IORING_FEAT_NODROP");
        return p;
    }
    p.ok = true;
    io_uring_params so{};
    so.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(4, &ring, &so) == 0) {
        p.single_owner_ok = true;
        io_uring_queue_exit(&ring);
    }
    return p;
}

unsigned round_up_pow2(std::uint64_t v) noexcept {
    unsigned r = 1;
    while (r < v && r < kMaxCqEntries)
        r <<= 1;
    return r;
}

void set_backlog_locked(Dir& d, bool on) noexcept {
    if (d.backlogged == on)
        return;
    d.backlogged = on;
    if (on)
        ++d.cq->backlog;
    else
        --d.cq->backlog;
}

} // namespace

struct UringState {
    io_uring ring{};
    bool files = false;
    std::vector<int> free_fixed; // guarded by the CQ lock
};

const UringProbe& uring_probe() noexcept {
    static const UringProbe probe = run_probe();
    return probe;
}

int uring_create(Cq& cq) noexcept {
    auto* st = new (std::nothrow) UringState;
    if (st == nullptr)
        return wsa::enobufs;
    io_uring_params params{};
    // The kernel CQ holds what the RIO CQ may hold; beyond kMaxCqEntries (and after a resize)
    // IORING_FEAT_NODROP keeps overflowing CQEs in the kernel instead of dropping them.
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL;
    params.cq_entries = std::max(round_up_pow2(cq.ring.size()), kSqEntries * 2);
    if (cq.single_owner)
        params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int rc = io_uring_queue_init_params(kSqEntries, &st->ring, &params);
    if (rc < 0) {
        delete st;
        return wsa_from_result(rc);
    }
    // Fixed files save the fd lookup per request; a sparse table is filled per RQ. Optional:
    // without it requests name the plain descriptor.
    if (io_uring_register_files_sparse(&st->ring, kFixedFiles) == 0) {
        st->files = true;
        try {
            st->free_fixed.reserve(kFixedFiles);
            for (int i = static_cast<int>(kFixedFiles) - 1; i >= 0; --i)
                st->free_fixed.push_back(i);
        } catch (...) {
            st->free_fixed.clear();
        }
    }
    cq.uring = st;
    if (!cq.single_owner) {
        cq.poll_token = Poller::instance(Backend::uring).add(st->ring.ring_fd, 0, &cq);
        if (cq.poll_token == 0) {
            io_uring_queue_exit(&st->ring);
            delete st;
            cq.uring = nullptr;
            return wsa::enobufs;
        }
    }
    return 0;
}

void uring_destroy(Cq& cq) noexcept {
    if (cq.uring == nullptr)
        return;
    Poller::instance(Backend::uring).remove(cq.uring->ring.ring_fd, cq.poll_token);
    io_uring_queue_exit(&cq.uring->ring);
    delete cq.uring;
    cq.uring = nullptr;
}

namespace {

// Puts the committed requests of d into the SQ as one linked chain when the previous chain is
// done. Returns whether SQEs were added.
bool kick_locked(Dir& d) noexcept {
    Cq& cq = *d.cq;
    if (d.inflight > 0) {
        set_backlog_locked(d, d.committed > d.submitted);
        return false;
    }
    d.submitted = d.head;
    io_uring* ring = &cq.uring->ring;
    const std::uint64_t want = d.committed - d.head;
    const std::uint64_t n = std::min<std::uint64_t>(want, io_uring_sq_space_left(ring));
    for (std::uint64_t i = 0; i < n; ++i) {
        Slot& s = d.slot(d.head + i);
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        const int fd = d.fixed_index >= 0 ? d.fixed_index : d.rq->fd;
        if (d.is_send) {
            // MSG_WAITALL: a RIOSend completes whole or fails, never short.
            io_uring_prep_send(sqe, fd, s.data, s.length, MSG_NOSIGNAL | MSG_WAITALL);
        } else {
            const int flags = (s.flags & RIO_MSG_WAITALL) != 0 ? MSG_WAITALL : 0;
            io_uring_prep_recv(sqe, fd, s.data, s.length, flags);
        }
        if (d.fixed_index >= 0)
            sqe->flags |= IOSQE_FIXED_FILE;
        if (i + 1 < n)
            sqe->flags |= IOSQE_IO_LINK;
        io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uintptr_t>(&d));
    }
    d.submitted = d.head + n;
    d.inflight = static_cast<std::uint32_t>(n);
    set_backlog_locked(d, d.committed > d.submitted);
    return n > 0;
}

void submit_locked(Cq& cq) noexcept {
    if (io_uring_sq_ready(&cq.uring->ring) == 0)
        return;
    cq.submits.fetch_add(1, std::memory_order_relaxed);
    (void)io_uring_submit(&cq.uring->ring); // on -EBUSY the SQEs stay and go with the next
}

void on_cqe_locked(Dir& d, int res) noexcept {
    --d.inflight;
    if (res == -ECANCELED && d.head >= d.cancel_upto) {
        // Cut off by a broken link, not by cancel_all: resubmitted below, order intact.
    } else if (res >= 0) {
        complete_head_locked(d, 0, static_cast<ULONG>(res));
    } else {
        complete_head_locked(d, wsa_from_result(res), 0);
    }
    if (d.inflight == 0) {
        d.submitted = d.head;
        cancel_pending_locked(d); // requests cancel_all named that never reached the kernel
        (void)kick_locked(d);
    }
}

} // namespace

void uring_reap_locked(Cq& cq) noexcept {
    io_uring* ring = &cq.uring->ring;
    if (cq.single_owner && io_uring_cq_ready(ring) == 0)
        (void)io_uring_get_events(ring); // DEFER_TASKRUN: completions run only when we enter
    unsigned n = 0;
    unsigned head = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(ring, head, cqe) {
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        if (data != 0)
            on_cqe_locked(*reinterpret_cast<Dir*>(static_cast<std::uintptr_t>(data)), cqe->res);
        if (++n == kMaxReapPerCall)
            break;
    }
    io_uring_cq_advance(ring, n);
    submit_locked(cq);
}

void uring_commit_locked(Dir& d) noexcept {
    if (kick_locked(d))
        submit_locked(*d.cq);
    else if (d.backlogged)
        uring_arm_locked(*d.cq); // progress must not wait for the application
}

void uring_cancel_locked(Dir& d) noexcept {
    if (d.inflight == 0) {
        cancel_pending_locked(d);
        set_backlog_locked(d, false);
        return;
    }
    io_uring* ring = &d.cq->uring->ring;
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (sqe == nullptr) {
        submit_locked(*d.cq);
        sqe = io_uring_get_sqe(ring);
    }
    if (sqe == nullptr)
        return; // SQ wedged: the requests complete on their own; cancel_upto still marks them
    // Everything this direction has in the kernel carries &d as user data.
    io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(&d), IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, 0);
    submit_locked(*d.cq);
    uring_arm_locked(*d.cq);
}

void uring_arm_locked(Cq& cq) noexcept {
    if (cq.single_owner || cq.poll_token == 0)
        return;
    (void)Poller::instance(Backend::uring)
        .modify(cq.uring->ring.ring_fd, cq.poll_token, EPOLLIN | EPOLLONESHOT);
}

void uring_on_ready(Cq& cq) noexcept {
    std::lock_guard lock(cq.mu);
    uring_reap_locked(cq);
    if (cq.armed || cq.backlog > 0)
        uring_arm_locked(cq);
}

bool uring_maybe_ready(Cq& cq) noexcept {
    // Single-owner rings only see completions after entering the kernel, so always say yes;
    // otherwise peek at the kernel's CQ tail (an acquire load, as liburing itself does).
    // Both loads atomic: khead is advanced by other threads under the CQ lock.
    const io_uring& ring = cq.uring->ring;
    return cq.single_owner || __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE) !=
                                  __atomic_load_n(ring.cq.khead, __ATOMIC_RELAXED);
}

bool uring_wait(Cq& cq, int timeout_ms) noexcept {
    pollfd p{cq.uring->ring.ring_fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

int uring_attach(Rq& rq) noexcept {
    for (Dir* d : {&rq.recv, &rq.send}) {
        if (d == &rq.send && rq.send.cq == rq.recv.cq) {
            rq.send.fixed_index = rq.recv.fixed_index; // same ring, same table
            break;
        }
        UringState& st = *d->cq->uring;
        int index = -1;
        {
            std::lock_guard lock(d->cq->mu);
            if (!st.files || st.free_fixed.empty())
                continue;
            index = st.free_fixed.back();
            st.free_fixed.pop_back();
        }
        // Registration failing (e.g. a single-owner ring touched by another thread) only costs
        // the optimisation.
        if (io_uring_register_files_update(&st.ring, static_cast<unsigned>(index), &rq.fd, 1) ==
            1) {
            d->fixed_index = index;
        } else {
            std::lock_guard lock(d->cq->mu);
            st.free_fixed.push_back(index);
        }
    }
    return 0;
}

void uring_detach(Rq& rq) noexcept {
    for (Dir* d : {&rq.recv, &rq.send}) {
        if (d == &rq.send && rq.send.cq == rq.recv.cq)
            break;
        if (d->fixed_index < 0)
            continue;
        UringState& st = *d->cq->uring;
        int none = -1;
        (void)io_uring_register_files_update(&st.ring, static_cast<unsigned>(d->fixed_index), &none,
                                             1);
        std::lock_guard lock(d->cq->mu);
        st.free_fixed.push_back(d->fixed_index);
        d->fixed_index = -1;
    }
    rq.send.fixed_index = -1;
}

} // namespace riosp::rio::detail
