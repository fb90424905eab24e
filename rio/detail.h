// rio/ internals shared by core.cpp and the backends. Not part of the contract.
//
// Model: every CompletionQueue (Cq) owns one mutex that guards its completion ring, its
// capacity accounting, its notification state, its backend state (the io_uring SQ) AND the
// state of every request-queue direction (Dir) that completes into it. One lock per CQ, never
// two held by the I/O path, so lock order is trivial: the poller's dispatch lock, then a CQ lock.
//
// A Dir is a FIFO of request slots identified by sequence numbers:
//   [head, submitted)   in the kernel (io_uring) / being worked on (epoll)
//   [submitted, committed) committed, waiting behind the in-kernel chain
//   [committed, tail)   deferred (RIO_MSG_DEFER), not yet committed
// Requests complete strictly in FIFO order per direction (so sends on one RQ complete in
// submission order, and receives fill in stream order). A completed request's slot is reused
// at once; its quota (Dir::outstanding) and buffer reference travel in the CQ entry and are
// released when the application dequeues it.
#pragma once

#include <rio/rio.h>
#include <rio/wsa_error.h>

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace riosp::rio::detail {

inline constexpr std::uint64_t kCqCanary = 0x3051435053304952ULL; // "RIO0SPCQ0"-ish tag
inline constexpr std::uint32_t kNoBuffer = 0xFFFFFFFFU;
inline constexpr DWORD kAllMsgFlags =
    RIO_MSG_DONT_NOTIFY | RIO_MSG_DEFER | RIO_MSG_WAITALL | RIO_MSG_COMMIT_ONLY;

// ------------------------------------------------------------------ buffer registry (core.cpp)
struct BufferRef {
    char* data = nullptr;
    ULONG length = 0;
    std::uint32_t index = kNoBuffer;
};
// Takes a reference on the registration named by buf and checks the slice: 0 or WSAEINVAL.
[[nodiscard]] int acquire_buffer(const RIO_BUF& buf, BufferRef& out) noexcept;
void release_buffer(std::uint32_t index) noexcept;
// The whole region behind a registry index the caller holds a reference on (so it cannot
// change under it), with the registration's generation: what an io_uring buffer table needs.
struct BufferRegion {
    char* base = nullptr;
    ULONG length = 0;
    std::uint32_t generation = 0;
};
[[nodiscard]] BufferRegion buffer_region(std::uint32_t index) noexcept;

// ------------------------------------------------------------------ queues
struct Dir;
struct Rq;
struct UringState;

struct Entry {
    RIORESULT result{};
    Dir* dir = nullptr;               // nullptr once the RQ is gone (an "orphan")
    std::uint32_t buffer = kNoBuffer; // registry index, released at dequeue
    bool notify = false;              // counts towards RIONotify (not RIO_MSG_DONT_NOTIFY)
};

// The part of a Windows CQ that lives in application-writable memory; here it is checked on
// every dequeue so that a scribble is reported as RIO_CORRUPT_CQ instead of followed.
struct RingHeader {
    std::uint64_t canary = kCqCanary;
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::uint64_t capacity = 0;
    std::uint64_t canary_end = kCqCanary;
};

struct Cq {
    Backend backend = Backend::epoll;
    bool single_owner = false;
    std::mutex mu;
    RingHeader header;
    std::vector<Entry> ring;    // ring.size() is the real capacity (header can be scribbled)
    std::uint64_t charged = 0;  // sum of max outstanding of attached directions
    std::uint64_t orphans = 0;  // queued entries of destroyed RQs; they still take room
    std::uint64_t eligible = 0; // queued entries that may trigger RIONotify
    std::uint32_t attached = 0; // attached directions
    std::uint32_t backlog = 0;  // io_uring: directions waiting behind an in-kernel chain
    bool has_notification = false;
    bool notify_reset = false;
    bool armed = false;
    // Threads inside CompletionQueue::wait, polling the ring descriptor themselves: while one
    // does, the progress thread is not asked to watch the ring (it would be a second wake-up,
    // paid by the thread that posted the completion).
    std::uint32_t ring_waiters = 0;
    int event_fd = -1;
    std::atomic<std::uint64_t> submits{0};
    // io_uring: requests that reached the kernel naming a registered (fixed) buffer.
    std::atomic<std::uint64_t> fixed_requests{0};
    bool fixed_buffers = true; // CqOptions::fixed_buffers
    // Entries queued, mirrored outside the lock so that a polling dequeue of an empty CQ does
    // not take it (a RIODequeueCompletion spin loop would otherwise starve the progress thread).
    std::atomic<std::uint64_t> queued{0};
    UringState* uring = nullptr; // owned by backend_uring.cpp
    std::uint64_t poll_token = 0;
};

struct Slot {
    void* context = nullptr;
    char* data = nullptr;
    ULONG length = 0;
    ULONG done = 0; // epoll: bytes moved so far
    std::uint32_t buffer = kNoBuffer;
    DWORD flags = 0;
};

struct Dir {
    Rq* rq = nullptr;
    Cq* cq = nullptr;
    bool is_send = false;
    std::vector<Slot> slots; // size max(max, 1)
    ULONG max = 0;
    ULONG outstanding = 0; // quota in use: posted and not yet dequeued
    std::uint64_t head = 0;
    std::uint64_t submitted = 0;
    std::uint64_t committed = 0;
    std::uint64_t tail = 0;
    std::uint64_t cancel_upto = 0; // requests below this were cancelled by cancel_all
    std::uint32_t inflight = 0;    // io_uring: SQEs of this direction in the kernel
    int fixed_index = -1;          // io_uring: fixed-file slot in cq's ring, -1 = plain fd
    bool backlogged = false;

    Slot& slot(std::uint64_t seq) noexcept { return slots[seq % slots.size()]; }
};

struct Rq {
    int fd = -1;
    void* socket_context = nullptr;
    Dir recv;
    Dir send;
    std::uint64_t poll_token = 0; // epoll backend registration
    Rq* next_free = nullptr;      // core.cpp's pool of destroyed RQs (reused without allocating)
};

// ------------------------------------------------------------------ core helpers (core.cpp)
// All "locked" functions expect the direction's CQ mutex to be held.
void complete_head_locked(Dir& d, int status, ULONG bytes) noexcept;
void cancel_pending_locked(Dir& d) noexcept; // completes [head, cancel_upto) with 995
void signal_event(Cq& cq) noexcept;

// ------------------------------------------------------------------ poller (poller.cpp)
// One epoll instance and ONE thread per backend, created at first use: the io_uring backend
// watches ring descriptors of CQs that need progress without the application (a RIONotify is
// armed, or committed requests wait behind an in-kernel chain); the epoll backend watches every
// RQ's socket. Dispatch runs under the poller's lock, so remove() returning means the target is
// no longer in use.
class Poller {
public:
    static Poller& instance(Backend backend) noexcept;
    [[nodiscard]] std::uint64_t add(int fd, std::uint32_t events, void* target) noexcept;
    [[nodiscard]] bool modify(int fd, std::uint64_t token, std::uint32_t events) noexcept;
    void remove(int fd, std::uint64_t token) noexcept; // never with a CQ lock held
    // Dispatches what is ready now from the calling thread (never with a CQ lock held), unless
    // the poller thread is already dispatching. Lets a polling dequeue make progress itself
    // instead of waiting for a thread hop.
    void poll_once() noexcept;
    // The thread runs only while CQs of this backend that need it exist: the first retain()
    // starts it, the last release() stops and joins it (never from the poller thread itself),
    // so a process that closed its last CQ (the provider's last WSPCleanup) has no rio thread.
    void retain() noexcept;
    void release() noexcept;

private:
    explicit Poller(Backend backend) noexcept;
    void run() noexcept;
    void dispatch(const ::epoll_event* events, int n) noexcept;
    Backend backend_;
    int epfd_ = -1;
    int wake_fd_ = -1;   // in the epoll set with token 0 (never a target's token): stops run()
    std::mutex life_mu_; // users_, thread_; never taken by the poller thread
    std::size_t users_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    // Tokens are (generation << 32) | (index + 1) into targets_, so a stale token (an event
    // that raced a remove()) names nothing. Both vectors only grow: after warm-up, add() and
    // remove() allocate nothing (RQ create/destroy is allocation-free in steady state).
    struct Target {
        void* target = nullptr;
        std::uint32_t generation = 1;
    };
    void* lookup_locked(std::uint64_t token) const noexcept;
    std::vector<Target> targets_;
    std::vector<std::uint32_t> free_;
};

// ------------------------------------------------------------------ io_uring backend
struct UringProbe {
    bool ok = false;
    bool single_owner_ok = false;
    bool send_fixed_ok = false; // IORING_OP_SEND takes IORING_RECVSEND_FIXED_BUF
    char why[160] = {};
};
[[nodiscard]] const UringProbe& uring_probe() noexcept;
[[nodiscard]] int uring_create(Cq& cq) noexcept; // cq.ring already sized
void uring_destroy(Cq& cq) noexcept;             // after poller removal
void uring_reap_locked(Cq& cq) noexcept;         // CQEs -> entries, resubmits chains
void uring_commit_locked(Dir& d) noexcept;       // kick + submit
void uring_cancel_locked(Dir& d) noexcept;
void uring_arm_locked(Cq& cq) noexcept;          // watch the ring fd (one shot)
[[nodiscard]] int uring_attach(Rq& rq) noexcept; // fixed files (no CQ lock held)
void uring_detach(Rq& rq) noexcept;
[[nodiscard]] bool uring_wait(Cq& cq, int timeout_ms) noexcept; // ring fd readable?
[[nodiscard]] int uring_ring_fd(const Cq& cq) noexcept;
void uring_on_ready(Cq& cq) noexcept;                  // poller thread
[[nodiscard]] bool uring_maybe_ready(Cq& cq) noexcept; // CQEs (or deferred work) may wait
// The registry freed index (no request names it any more): every ring drops its registration,
// so the application's memory is no longer pinned and the index can carry a new region.
void uring_forget_buffer(std::uint32_t index) noexcept;
[[nodiscard]] std::size_t uring_fixed_buffers(const Cq& cq) noexcept; // registered in cq's ring

// ------------------------------------------------------------------ epoll backend
[[nodiscard]] int epoll_attach(Rq& rq) noexcept;
void epoll_detach(Rq& rq) noexcept;
void epoll_flush_locked(Dir& d) noexcept;
void epoll_on_ready(Rq& rq) noexcept; // poller thread

} // namespace riosp::rio::detail
