// rio/-internal, Linux: the progress thread and the two Linux backends (io_uring, epoll) that
// backends_posix.cpp dispatches to. Not part of the contract.
#pragma once

#include <rio/core/detail.h>
#include <rio/slot_table.h>

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

struct io_uring;
struct io_uring_params;

namespace riosp::rio::detail {

// ------------------------------------------------------ progress thread (progress_thread.cpp)
// One epoll instance and ONE thread per backend, created at first use: the io_uring backend
// watches ring descriptors of CQs that need progress without the application (a RIONotify is
// armed, or committed requests wait behind an in-kernel chain); the epoll backend watches every
// RQ's socket. Dispatch runs under the progress thread's lock, so remove() returning means the
// target is no longer in use.
class ProgressThread {
public:
    static ProgressThread& instance(Backend backend) noexcept;
    [[nodiscard]] std::uint64_t add(int fd, std::uint32_t events, void* target) noexcept;
    [[nodiscard]] bool modify(int fd, std::uint64_t token, std::uint32_t events) noexcept;
    void remove(int fd, std::uint64_t token) noexcept; // never with a CQ lock held
    // Dispatches what is ready now from the calling thread (never with a CQ lock held), unless
    // the progress thread is already dispatching. Lets a polling dequeue make progress itself
    // instead of waiting for a thread hop.
    void poll_once() noexcept;
    // The thread runs only while CQs of this backend that need it exist: the first retain()
    // starts it, the last release() stops and joins it (never from the progress thread itself),
    // so a process that closed its last CQ (the provider's last WSPCleanup) has no rio thread.
    void retain() noexcept;
    void release() noexcept;
    [[nodiscard]] std::uint64_t dispatched() const noexcept {
        return dispatched_.load(std::memory_order_relaxed);
    }

private:
    explicit ProgressThread(Backend backend) noexcept;
    void run() noexcept;
    void dispatch(const ::epoll_event* events, int n) noexcept;
    Backend backend_;
    int epfd_ = -1;
    int wake_fd_ = -1;   // in the epoll set with token 0 (never a target's token): stops run()
    std::mutex life_mu_; // users_, thread_; never taken by the progress thread
    std::size_t users_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> dispatched_{0}; // targets dispatched (testing)
    std::mutex mu_; // held by dispatch: remove() waits out a dispatch that holds its token
    // Tokens are handles of a slot table (rio/slot_table.h), so a stale token (an event that
    // raced a remove()) names nothing. The table only grows: after warm-up, add() and remove()
    // allocate nothing (RQ create/destroy is allocation-free in steady state).
    struct Target : TableSlot {
        void* target = nullptr;
    };
    void* lookup(std::uint64_t token) const noexcept;
    SlotTable<Target, 1024, 1024> targets_;
};

// ------------------------------------------------------------------ io_uring backend
// The most completions one io_uring CQ holds (the kernel's limit with IORING_SETUP_CQSIZE).
inline constexpr unsigned max_cq_ring_entries = 65536;

struct UringProbe {
    bool ok = false;
    bool single_owner_ok = false;
    // Single-owner rings also take IORING_SETUP_TASKRUN_FLAG (the kernel raises IORING_SQ_TASKRUN
    // when completion work waits, so an idle polling dequeue enters only when there is some)
    // and IORING_SETUP_R_DISABLED (the ring is bound to the thread that first enters it).
    bool owner_taskrun_flag_ok = false;
    bool owner_r_disabled_ok = false;
    // Shared rings of polled CQs: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG.
    bool coop_taskrun_ok = false;
    bool send_fixed_ok = false; // IORING_OP_SEND takes IORING_RECVSEND_FIXED_BUF
    char why[160] = {};
};
[[nodiscard]] const UringProbe& uring_probe() noexcept;
// Sets up a ring the size the largest CQ asks for (a provider worker's: 64 Ki entries), as CQs
// set theirs up: the probe's, so that where memory is short a small ring cannot pass for one a
// CQ will get. 0 or -errno.
[[nodiscard]] int uring_setup_largest_ring(io_uring& ring, io_uring_params& params) noexcept;
[[nodiscard]] int uring_create(Cq& cq) noexcept; // cq.ring already sized
void uring_destroy(Cq& cq) noexcept;             // after progress-thread removal
void uring_reap_locked(Cq& cq) noexcept;         // CQEs -> entries, resubmits chains
void uring_commit_locked(Dir& d) noexcept;       // kick + submit
void uring_cancel_locked(Dir& d) noexcept;
void uring_arm_locked(Cq& cq) noexcept;          // watch the ring fd (one shot)
[[nodiscard]] int uring_attach(Rq& rq) noexcept; // fixed files (no CQ lock held)
void uring_detach(Rq& rq) noexcept;
[[nodiscard]] bool uring_wait(Cq& cq, int timeout_ms) noexcept; // ring fd readable?
[[nodiscard]] int uring_ring_fd(const Cq& cq) noexcept;
void uring_on_ready(Cq& cq) noexcept;                  // progress thread
[[nodiscard]] bool uring_maybe_ready(Cq& cq) noexcept; // CQEs (or deferred work) may wait
// RIONotify armed in the kernel (uring_notify.cpp), for CQs whose notification is an eventfd.
// All under the CQ lock.
[[nodiscard]] bool uring_notify_arm_locked(Cq& cq) noexcept; // false: the progress thread's
// Takes an armed poll back (the application's eventfd untouched by that); true if it had fired.
bool uring_notify_disarm_locked(Cq& cq) noexcept;
[[nodiscard]] bool uring_notify_armed(const Cq& cq) noexcept;
// Looks at the small ring: true when the kernel delivered an armed notification since.
[[nodiscard]] bool uring_notify_settle_locked(Cq& cq) noexcept;
void uring_notify_reaping(Cq& cq, bool on) noexcept; // CQEs of the CQ's ring being turned in
// signal_event's question: true when the kernel signals this notification (rio must not).
[[nodiscard]] bool uring_notify_signal_locked(Cq& cq) noexcept;
void uring_notify_close(Cq& cq) noexcept;
// The registry freed index (no request names it any more): every ring drops its registration,
// so the application's memory is no longer pinned and the index can carry a new region.
void uring_forget_buffer(std::uint32_t index) noexcept;
[[nodiscard]] std::size_t uring_fixed_buffers(const Cq& cq) noexcept; // registered in cq's ring

// ------------------------------------------------------------------ the caller's waits
// A receive that blocks in the kernel until at least one byte, the FIN or an error (a socket in
// blocking mode; net_posix.cpp, beside recv_now): 0 with `got`, or a WSA error.
[[nodiscard]] int recv_blocking(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                                std::size_t& got, net::Receive how) noexcept;

// ------------------------------------------------------------------ datagrams (datagram_posix.cpp)
// Requests of a datagram RQ, for both backends: each is one sendmsg / recvmsg.
// The message of the request `s` of d into io (its data, and a send's address converted to
// the kernel's form): 0, or the WSA code to complete it with.
[[nodiscard]] int prepare_datagram(const Dir& d, const Slot& s, MsgIo& io) noexcept;
// The head of d ended with res (bytes, or -errno): completes it; a receive reports its source
// and a datagram longer than its buffer (res is the datagram's length: MSG_TRUNC) completes
// with WSAEMSGSIZE and the buffer's length.
void finish_datagram_locked(Dir& d, const MsgIo& io, long res) noexcept;
// io_uring: prepares the next chain of d (at most `room` requests and d.msgs.size()) in
// d.msgs; heads whose message cannot be made complete at once. Returns the chain's length.
[[nodiscard]] std::uint64_t uring_prepare_datagrams_locked(Dir& d, std::uint64_t room) noexcept;
// The committed sends of a datagram direction, from its head, sent now by sendmmsg (MSG_DONTWAIT),
// in batches, each completed (both backends; io_uring only while none of d is in the kernel, so
// order is kept). Returns false when the socket refused more with EAGAIN: the rest waits.
[[nodiscard]] bool send_datagrams_now_locked(Dir& d) noexcept;
[[nodiscard]] inline MsgIo& msg_of(Dir& d, std::uint64_t seq) noexcept {
    return d.msgs[seq % d.msgs.size()];
}
void epoll_flush_datagrams_locked(Dir& d) noexcept;

// ------------------------------------------------------------------ epoll backend
// The committed sends of a stream direction, from its head, sent now by ONE sendmsg gathering
// them (MSG_DONTWAIT; batches of 64), each completed when all its bytes went (a partly sent one
// keeps its progress in Slot::done). Both backends: epoll's flush, and io_uring's commit of a
// shared CQ while none of the direction is in the kernel. false: the socket's buffer is full,
// the rest waits (for the ring, or the next edge).
[[nodiscard]] bool send_stream_now_locked(Dir& d) noexcept;
[[nodiscard]] int epoll_attach(Rq& rq) noexcept;
void epoll_detach(Rq& rq) noexcept;
void epoll_flush_locked(Dir& d) noexcept;
void epoll_on_ready(Rq& rq) noexcept; // progress thread

} // namespace riosp::rio::detail
