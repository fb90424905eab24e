// io_uring backend: one ring per CompletionQueue, submissions serialised by the CQ's lock.
//
// Ordering: io_uring does not order two sends on one socket issued by separate submissions (a
// send that hits a full socket is parked on poll while a later one may go inline), so each
// request-queue direction has at most one chain in the kernel; a chain is the committed
// requests linked with IOSQE_IO_LINK and handed over by ONE io_uring_enter (that is also how a
// RIO_MSG_DEFER batch reaches the kernel). Requests committed while a chain runs wait in the
// direction's FIFO and go as the next chain when the last CQE of the running one is reaped —
// by dequeue(), or by the progress thread when nobody dequeues (it watches the ring only while
// something waits: an armed RIONotify or such a backlog).
//
// A chain breaks when a member fails or a MSG_WAITALL receive comes up short (peer FIN); the
// kernel then cancels the rest with -ECANCELED. Those were not cancelled by the application,
// so they are put back and resubmitted, keeping their order; only cancel_all() yields 995.
#include <rio/posix/detail_posix.h>

#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

namespace riosp::rio::detail {

namespace {
constexpr unsigned kSqEntries = 256;
constexpr unsigned kMaxCqEntries = max_cq_ring_entries;
constexpr unsigned kFixedFiles = 4096;
constexpr unsigned kMaxReapPerCall = 1024;    // fairness: bound the work one dequeue does
constexpr unsigned kMaxOwnerSqEntries = 4096; // a single-owner ring's SQ: room for a CQ's worth
// The kernel's limit on a ring's buffer table (IORING_MAX_REG_BUFFERS); registry indices at or
// beyond it simply name plain memory.
constexpr std::uint32_t kFixedBuffers = 1U << 14;

unsigned round_up_pow2(std::uint64_t v) noexcept {
    unsigned r = 1;
    while (r < v && r < kMaxCqEntries)
        r <<= 1;
    return r;
}

// The ring of a CQ of `cq_size` entries: the kernel CQ holds what the RIO CQ may hold; beyond
// kMaxCqEntries (and after a resize) IORING_FEAT_NODROP keeps overflowing CQEs in the kernel
// instead of dropping them. 0 or -errno.
int setup_ring(io_uring& ring, io_uring_params& params, std::uint64_t cq_size, unsigned flags,
               unsigned sq_entries) noexcept {
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL | flags;
    params.cq_entries = std::max(round_up_pow2(cq_size), kSqEntries * 2);
    return io_uring_queue_init_params(sq_entries, &ring, &params);
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
    // Single-owner rings: the thread that entered the ring first, and so its only submitter
    // (a ring created IORING_SETUP_R_DISABLED is enabled by that thread; otherwise the kernel
    // bound it to the creating thread). Written once under the CQ lock.
    std::thread::id owner{};
    bool enabled = true;
    bool coop = false; // IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG (a shared, polled CQ)
    // SQEs written and not yet handed to the kernel (single-owner rings submit them in their
    // owner's next dequeue), mirrored outside the lock for the lock-free look of an idle dequeue.
    std::atomic<bool> unsubmitted{false};
    std::vector<int> free_fixed; // guarded by the CQ lock
    // Registered buffers: the ring's table mirrors the registry index for index. buffers[i] is
    // (generation << 1) | entered for the region last looked at under index i, 0 for none.
    // Written under the CQ lock when a request first names a region here, and by
    // uring_forget_buffer once the registry freed the index; the registry's reference count
    // keeps the two apart (an index is forgotten only when no request names it).
    std::unique_ptr<std::atomic<std::uint64_t>[]> buffers;
    std::atomic<std::size_t> entered{0};
    UringState* next_with_buffers = nullptr; // BufferRings' list
};

namespace {

// Every ring with a buffer table, so a freed registry index can be dropped from all of them.
struct BufferRings {
    std::mutex mu; // a leaf: taken under a CQ lock (dequeue releases buffers), never the reverse
    UringState* head = nullptr;
};

BufferRings& buffer_rings() noexcept {
    static auto* rings = new BufferRings; // never destroyed: regions may be freed at exit
    return *rings;
}

void enable_fixed_buffers(UringState& st) noexcept {
    st.buffers.reset(new (std::nothrow) std::atomic<std::uint64_t>[kFixedBuffers]);
    if (!st.buffers)
        return;
    if (io_uring_register_buffers_sparse(&st.ring, kFixedBuffers) != 0) {
        st.buffers.reset(); // an older kernel: plain memory only
        return;
    }
    for (std::uint32_t i = 0; i < kFixedBuffers; ++i)
        st.buffers[i].store(0, std::memory_order_relaxed);
    BufferRings& rings = buffer_rings();
    std::lock_guard lock(rings.mu);
    st.next_with_buffers = rings.head;
    rings.head = &st;
}

void disable_fixed_buffers(UringState& st) noexcept {
    if (!st.buffers)
        return;
    BufferRings& rings = buffer_rings();
    std::lock_guard lock(rings.mu);
    for (UringState** link = &rings.head; *link != nullptr; link = &(*link)->next_with_buffers) {
        if (*link == &st) {
            *link = st.next_with_buffers;
            break;
        }
    }
}

bool update_buffer_slot(UringState& st, std::uint32_t index, void* base, std::size_t length) {
    iovec iov{base, length};
    __u64 tag = 0;
    return io_uring_register_buffers_update_tag(&st.ring, index, &iov, &tag, 1) == 1;
}

// The ring's buffer-table index for the region behind `buffer`, entering it on first use; -1:
// plain memory (no table, index beyond it, or the kernel refused the region — too large,
// RLIMIT_MEMLOCK — which is remembered until the index carries another region).
int fixed_buffer_locked(Cq& cq, std::uint32_t buffer) noexcept {
    UringState& st = *cq.uring;
    if (!st.buffers || buffer >= kFixedBuffers)
        return -1;
    const BufferRegion region = buffer_region(buffer);
    std::atomic<std::uint64_t>& cell = st.buffers[buffer];
    const std::uint64_t seen = cell.load(std::memory_order_relaxed);
    if ((seen >> 1) != region.generation) {
        const bool entered = update_buffer_slot(st, buffer, region.base, region.length);
        cell.store((std::uint64_t{region.generation} << 1) | (entered ? 1U : 0U),
                   std::memory_order_relaxed);
        if (!entered)
            return -1;
        st.entered.fetch_add(1, std::memory_order_relaxed);
    } else if ((seen & 1U) == 0) {
        return -1;
    }
    cq.fixed_requests.fetch_add(1, std::memory_order_relaxed);
    return static_cast<int>(buffer);
}

} // namespace

void uring_forget_buffer(std::uint32_t index) noexcept {
    if (index >= kFixedBuffers)
        return;
    BufferRings& rings = buffer_rings();
    std::lock_guard lock(rings.mu);
    for (UringState* st = rings.head; st != nullptr; st = st->next_with_buffers) {
        if ((st->buffers[index].exchange(0, std::memory_order_relaxed) & 1U) == 0)
            continue;
        (void)update_buffer_slot(*st, index, nullptr, 0); // an empty slot unpins the pages
        st->entered.fetch_sub(1, std::memory_order_relaxed);
    }
}

int uring_setup_largest_ring(io_uring& ring, io_uring_params& params) noexcept {
    return setup_ring(ring, params, kMaxCqEntries, 0, kSqEntries);
}

std::size_t uring_fixed_buffers(const Cq& cq) noexcept {
    return cq.uring != nullptr ? cq.uring->entered.load(std::memory_order_relaxed) : 0;
}

int uring_create(Cq& cq) noexcept {
    auto* st = new (std::nothrow) UringState;
    if (st == nullptr)
        return wsa::enobufs;
    io_uring_params params{};
    unsigned flags = 0;
    unsigned sq_entries = kSqEntries;
    if (cq.single_owner) {
        // Completion work runs only when the owner enters the ring (DEFER_TASKRUN), never as an
        // interrupt of a thread; requests wait in the SQ until the owner's next dequeue, so the
        // SQ holds what the CQ may have outstanding (a fuller one is submitted early).
        flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
        if (uring_probe().owner_taskrun_flag_ok)
            flags |= IORING_SETUP_TASKRUN_FLAG;
        if (uring_probe().owner_r_disabled_ok) {
            flags |= IORING_SETUP_R_DISABLED;
            st->enabled = false;
        } else {
            st->owner = std::this_thread::get_id();
        }
        sq_entries = std::clamp(round_up_pow2(cq.ring.size()), kSqEntries, kMaxOwnerSqEntries);
    } else if (!cq.has_notification && uring_probe().coop_taskrun_ok) {
        // A polled CQ: the completion work of a request runs in the thread that submitted it.
        // By default the kernel interrupts that thread for it (an IPI when it runs on another
        // CPU: about 10 us of a 40 us polled round trip on this 2-vCPU VM, rio/README.md);
        // cooperatively it runs at the thread's next system call, or in its dequeue, which
        // enters the ring when the kernel raises IORING_SQ_TASKRUN. A submitter that neither
        // dequeues nor makes a system call gets it at its next timer tick.
        flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
        st->coop = true;
    }
    int rc = setup_ring(st->ring, params, cq.ring.size(), flags, sq_entries);
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
    // Single-owner rings refuse io_uring_register from other threads, so a freed region could
    // not be dropped from their table: they name plain memory.
    if (cq.fixed_buffers && !cq.single_owner)
        enable_fixed_buffers(*st);
    cq.uring = st;
    if (!cq.single_owner) {
        cq.poll_token = ProgressThread::instance(Backend::uring).add(st->ring.ring_fd, 0, &cq);
        if (cq.poll_token == 0) {
            disable_fixed_buffers(*st);
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
    ProgressThread::instance(Backend::uring).remove(cq.uring->ring.ring_fd, cq.poll_token);
    disable_fixed_buffers(*cq.uring);
    io_uring_queue_exit(&cq.uring->ring);
    delete cq.uring;
    cq.uring = nullptr;
}

namespace {

// Single-owner rings: whether the calling thread may enter the ring. The first thread that
// needs to binds a ring created disabled (IORING_REGISTER_ENABLE_RINGS makes it the ring's one
// submitter); any other thread leaves the ring to its owner.
bool owner_enters_locked(Cq& cq) noexcept {
    UringState& st = *cq.uring;
    if (st.enabled)
        return st.owner == std::this_thread::get_id();
    // liburing 2.3 declares io_uring_enable_rings but its shared library does not export it.
    if (::syscall(__NR_io_uring_register, st.ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr,
                  0) != 0)
        return false;
    st.enabled = true;
    st.owner = std::this_thread::get_id();
    return true;
}

// Hands the SQ to the kernel. A single-owner ring's SQEs wait for its owner's next dequeue
// (one io_uring_enter then submits everything committed since and runs the completion work),
// unless `now` (a cancellation, or an SQ with no room left).
void submit_locked(Cq& cq, bool now = false) noexcept {
    io_uring* ring = &cq.uring->ring;
    if (io_uring_sq_ready(ring) == 0)
        return;
    if (cq.single_owner) {
        cq.uring->unsubmitted.store(true, std::memory_order_relaxed);
        if (!now || !owner_enters_locked(cq))
            return;
        cq.uring->unsubmitted.store(false, std::memory_order_relaxed);
    }
    cq.submits.fetch_add(1, std::memory_order_relaxed);
    cq.syscalls.fetch_add(1, std::memory_order_relaxed);
    (void)io_uring_submit(ring); // on -EBUSY the SQEs stay and go with the next
}

// A stream request's SQE. Registered buffers where the kernel takes them: a receive without
// MSG_WAITALL is a READ_FIXED (the same as recv(fd, buf, len, 0) on a socket); a send only where
// the probe found IORING_OP_SEND accepting IORING_RECVSEND_FIXED_BUF.
void prep_stream_locked(Dir& d, const Slot& s, io_uring_sqe* sqe, int fd) noexcept {
    const bool wait_all = (s.flags & RIO_MSG_WAITALL) != 0;
    const bool can_fix = d.is_send ? uring_probe().send_fixed_ok : !wait_all;
    const int buf_index = can_fix ? fixed_buffer_locked(*d.cq, s.buffer) : -1;
    if (d.is_send) {
        // MSG_WAITALL: a RIOSend completes whole or fails, never short. What the committing
        // thread sent itself (Slot::done) is not sent again.
        io_uring_prep_send(sqe, fd, s.data + s.done, s.length - s.done, MSG_NOSIGNAL | MSG_WAITALL);
        if (buf_index >= 0) {
            sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
            sqe->buf_index = static_cast<__u16>(buf_index);
        }
    } else if (buf_index >= 0) {
        io_uring_prep_read_fixed(sqe, fd, s.data, s.length, 0, buf_index);
    } else {
        io_uring_prep_recv(sqe, fd, s.data, s.length, wait_all ? MSG_WAITALL : 0);
    }
}

// Puts the committed requests of d into the SQ as one linked chain when the previous chain is
// done. Returns whether SQEs were added.
bool kick_locked(Dir& d) noexcept {
    Cq& cq = *d.cq;
    if (d.inflight > 0) {
        set_backlog_locked(d, d.committed > d.submitted);
        return false;
    }
    d.submitted = d.head;
    // Sends of a shared CQ leave from the committing thread itself, while none of the direction
    // is in the kernel: a stream's in one sendmsg (a system call, like the io_uring_enter it
    // replaces, without a request to allocate, a CQE to post and reap, or a task-work hop),
    // datagrams in one sendmmsg (datagram_posix.cpp). Only what the socket refuses for now
    // goes to the ring, which waits for room. A single-owner ring only writes SQEs here: its
    // owner's dequeue submits them all at once.
    const bool now = d.is_send && (d.rq->datagram || !cq.single_owner);
    if (now && d.head < d.committed) {
        cq.submits.fetch_add(1, std::memory_order_relaxed);
        if (d.rq->datagram ? send_datagrams_now_locked(d) : send_stream_now_locked(d)) {
            set_backlog_locked(d, false);
            return false;
        }
    }
    io_uring* ring = &cq.uring->ring;
    std::uint64_t room = io_uring_sq_space_left(ring);
    if (cq.single_owner && room < d.committed - d.head) {
        submit_locked(cq, true); // SQEs waiting for the owner's dequeue fill it: hand them over
        room = io_uring_sq_space_left(ring);
    }
    const std::uint64_t n = d.rq->datagram ? uring_prepare_datagrams_locked(d, room)
                                           : std::min<std::uint64_t>(d.committed - d.head, room);
    for (std::uint64_t i = 0; i < n; ++i) {
        Slot& s = d.slot(d.head + i);
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        const int fd = d.fixed_index >= 0 ? d.fixed_index : d.rq->fd;
        if (d.rq->datagram) {
            // sendmsg / recvmsg take no registered buffers; MSG_TRUNC makes a receive answer
            // with the datagram's length (datagram_posix.cpp).
            MsgIo& io = msg_of(d, d.head + i);
            if (d.is_send)
                io_uring_prep_sendmsg(sqe, fd, &io.msg, MSG_NOSIGNAL);
            else
                io_uring_prep_recvmsg(sqe, fd, &io.msg, MSG_TRUNC);
        } else {
            prep_stream_locked(d, s, sqe, fd);
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

void on_cqe_locked(Dir& d, int res) noexcept {
    --d.inflight;
    if (res == -ECANCELED && d.head >= d.cancel_upto) {
        // Cut off by a broken link, not by cancel_all: resubmitted below, order intact.
    } else if (d.rq->datagram) {
        finish_datagram_locked(d, msg_of(d, d.head), res);
    } else if (res >= 0) {
        complete_head_locked(d, 0, d.slot(d.head).done + static_cast<ULONG>(res));
    } else {
        complete_head_locked(d, wsa_from_result(res), d.slot(d.head).done);
    }
    if (d.inflight == 0) {
        d.submitted = d.head;
        cancel_pending_locked(d); // requests cancel_all named that never reached the kernel
        (void)kick_locked(d);
    }
}

} // namespace

namespace {
// IORING_SQ_TASKRUN: the kernel has completion work for this ring waiting to run (a
// DEFER_TASKRUN ring runs it only when its owner enters with IORING_ENTER_GETEVENTS).
bool taskrun_pending(const io_uring& ring) noexcept {
    return (__atomic_load_n(ring.sq.kflags, __ATOMIC_RELAXED) & IORING_SQ_TASKRUN) != 0;
}

// A single-owner ring, in its owner's dequeue: ONE io_uring_enter submits every SQE written
// since the last one and runs the completion work the kernel deferred to the owner; none when
// there is neither (with IORING_SETUP_TASKRUN_FLAG the kernel says so in the SQ flags).
void owner_enter_locked(Cq& cq) noexcept {
    io_uring* ring = &cq.uring->ring;
    const bool sqes = io_uring_sq_ready(ring) > 0;
    const bool work = !uring_probe().owner_taskrun_flag_ok || taskrun_pending(*ring);
    if ((!sqes && !work) || !owner_enters_locked(cq))
        return;
    cq.uring->unsubmitted.store(false, std::memory_order_relaxed);
    if (sqes)
        cq.submits.fetch_add(1, std::memory_order_relaxed);
    cq.syscalls.fetch_add(1, std::memory_order_relaxed);
    (void)io_uring_submit_and_get_events(ring);
}
} // namespace

void uring_reap_locked(Cq& cq) noexcept {
    io_uring* ring = &cq.uring->ring;
    if (cq.single_owner) {
        owner_enter_locked(cq);
    } else if (cq.uring->coop && taskrun_pending(*ring)) {
        cq.syscalls.fetch_add(1, std::memory_order_relaxed);
        (void)io_uring_get_events(ring); // runs this thread's completion work now
    }
    if (uring_notify_settle_locked(cq))
        cq.armed = false; // the kernel signalled the application's event: RIONotify is spent
    uring_notify_reaping(cq, true);
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
    uring_notify_reaping(cq, false);
    submit_locked(cq);
}

void uring_commit_locked(Dir& d) noexcept {
    if (d.cq->dont_notify > 0 && uring_notify_armed(*d.cq)) {
        // Its CQE would fire the kernel's poll: the progress thread takes the notification.
        if (uring_notify_disarm_locked(*d.cq))
            d.cq->armed = false;
        else if (d.cq->armed)
            uring_arm_locked(*d.cq);
    }
    if (kick_locked(d))
        submit_locked(*d.cq);
    else if (d.backlogged)
        uring_arm_locked(*d.cq); // progress must not wait for the application
}

void uring_cancel_locked(Dir& d) noexcept {
    // A cancellation may post a CQE of its own (when it finds nothing): no kernel-armed
    // notification may take that for a completion.
    if (uring_notify_armed(*d.cq)) {
        if (uring_notify_disarm_locked(*d.cq))
            d.cq->armed = false;
        else if (d.cq->armed)
            uring_arm_locked(*d.cq); // still wanted: the progress thread watches instead
    }
    if (d.inflight == 0) {
        cancel_pending_locked(d);
        set_backlog_locked(d, false);
        return;
    }
    io_uring* ring = &d.cq->uring->ring;
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (sqe == nullptr) {
        submit_locked(*d.cq, true);
        sqe = io_uring_get_sqe(ring);
    }
    if (sqe == nullptr)
        return; // SQ wedged: the requests complete on their own; cancel_upto still marks them
    // Everything this direction has in the kernel carries &d as user data.
    io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(&d), IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, 0);
    // The cancelled requests post their own CQEs; one for the cancel itself would only be
    // reaped and dropped (and wake whoever waits on the ring for nothing).
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    submit_locked(*d.cq, true);
    uring_arm_locked(*d.cq);
}

void uring_arm_locked(Cq& cq) noexcept {
    if (cq.single_owner || cq.poll_token == 0 || cq.ring_waiters > 0)
        return;
    if (cq.backlog == 0 && uring_notify_armed(cq))
        return; // the kernel watches the ring for the notification; nothing else needs a thread
    (void)ProgressThread::instance(Backend::uring)
        .modify(cq.uring->ring.ring_fd, cq.poll_token, EPOLLIN | EPOLLONESHOT);
}

void uring_on_ready(Cq& cq) noexcept {
    std::lock_guard lock(cq.mu);
    uring_reap_locked(cq);
    if (cq.armed || cq.backlog > 0)
        uring_arm_locked(cq);
}

bool uring_maybe_ready(Cq& cq) noexcept {
    // Peek at the kernel's CQ tail (an acquire load, as liburing itself does). Both loads
    // atomic: khead is advanced by other threads under the CQ lock. A single-owner ring also
    // has work when SQEs wait for the owner or the kernel deferred completion work to it (or,
    // without IORING_SETUP_TASKRUN_FLAG, whenever it is asked: only entering tells).
    const io_uring& ring = cq.uring->ring;
    if (cq.single_owner && (cq.uring->unsubmitted.load(std::memory_order_relaxed) ||
                            !uring_probe().owner_taskrun_flag_ok || taskrun_pending(ring)))
        return true;
    if (cq.uring->coop && taskrun_pending(ring))
        return true; // completion work waits for a thread of ours: maybe this one
    return __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE) !=
           __atomic_load_n(ring.cq.khead, __ATOMIC_RELAXED);
}

int uring_ring_fd(const Cq& cq) noexcept {
    return cq.uring->ring.ring_fd;
}

bool uring_wait(Cq& cq, int timeout_ms) noexcept {
    pollfd p{cq.uring->ring.ring_fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

int uring_attach(Rq& rq) noexcept {
    // A datagram direction's messages: one per request a chain may hold (pooled RQs keep the
    // capacity, so this allocates only the first time). Sized once: a chain of a direction
    // resized later is still at most this long.
    for (Dir* d : {&rq.recv, &rq.send}) {
        try {
            d->msgs.assign(
                rq.datagram ? std::min<std::size_t>(std::max<ULONG>(d->max, 1), kSqEntries) : 0,
                MsgIo{});
        } catch (...) {
            return wsa::enobufs;
        }
    }
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
