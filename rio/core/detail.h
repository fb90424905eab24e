// rio/ internals shared by core/ (the platform-free semantics) and the backends of posix/ and
// win/. Not part of the contract.
//
// Model: every CompletionQueue (Cq) owns one mutex that guards its completion ring, its
// capacity accounting, its notification state, its backend state (the io_uring SQ) AND the
// state of every request-queue direction (Dir) that completes into it. One lock per CQ, never
// two held by the I/O path, so lock order is trivial: the progress thread's dispatch lock,
// then a CQ lock.
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

#include <rio/caller.h>
#include <rio/net.h>
#include <rio/rio.h>
#include <rio/wsa_error.h>

#ifdef _WIN32
#include <winsock2.h> // OVERLAPPED, WSABUF: the overlapped backend's per-direction I/O block
#else
#include <rio/posix/sockaddr_posix.h> // msghdr, the kernel's addresses: io_uring's datagram block
#endif

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

// ------------------------------------------------------------------ Windows socket addresses
// What a datagram request's address slice holds: a SOCKADDR_INET, i.e. a sockaddr_in (family 2)
// or a sockaddr_in6 (family 23) in Windows' layout, the family a 16-bit field at offset 0.
inline constexpr std::uint16_t kWinAfInet = 2;
inline constexpr std::uint16_t kWinAfInet6 = 23;
inline constexpr ULONG kWinSockaddrInLen = 16;
inline constexpr ULONG kWinSockaddrIn6Len = 28;
inline constexpr ULONG kSockaddrInetLen = 28; // the union: room for either family
// The bytes the address at win_addr takes by its family; 0 for any other family.
[[nodiscard]] ULONG win_address_length(const void* win_addr) noexcept;

// ------------------------------------------------------------------ buffer registry (buffers.cpp)
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
struct UringNotify; // uring_notify.cpp
struct NativeCq;    // backend_native_win.cpp

struct Entry {
    RIORESULT result{};
    Dir* dir = nullptr;                       // nullptr once the RQ is gone (an "orphan")
    std::uint32_t buffer = kNoBuffer;         // registry index, released at dequeue
    std::uint32_t address_buffer = kNoBuffer; // a datagram's address slice, likewise
    bool notify = false;                      // counts towards RIONotify (not RIO_MSG_DONT_NOTIFY)
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
    std::vector<Entry> ring;       // ring.size() is the real capacity (header can be scribbled)
    std::uint64_t charged = 0;     // sum of max outstanding of attached directions
    std::uint64_t orphans = 0;     // queued entries of destroyed RQs; they still take room
    std::uint64_t eligible = 0;    // queued entries that may trigger RIONotify
    std::uint32_t attached = 0;    // attached directions
    std::uint32_t backlog = 0;     // io_uring: directions waiting behind an in-kernel chain
    std::uint32_t dont_notify = 0; // requests posted with RIO_MSG_DONT_NOTIFY, not yet completed
    bool has_notification = false;
    bool notify_reset = false;
    bool armed = false;
    // Threads inside CompletionQueue::wait, polling the ring descriptor themselves: while one
    // does, the progress thread is not asked to watch the ring (it would be a second wake-up,
    // paid by the thread that posted the completion).
    std::uint32_t ring_waiters = 0;
    // What RIONotify signals: the notification as the application gave it; on Linux its event
    // as a descriptor (event_fd), on Windows the HANDLE (or the completion port) inside it.
    RIO_NOTIFICATION_COMPLETION notification{};
    int event_fd = -1;
    std::atomic<std::uint64_t> submits{0};
    // Linux: the system calls rio's I/O path made for this CQ's requests (io_uring_enter, and
    // the socket calls that send or receive), for the tests of batching.
    std::atomic<std::uint64_t> syscalls{0};
    // io_uring: requests that reached the kernel naming a registered (fixed) buffer.
    std::atomic<std::uint64_t> fixed_requests{0};
    bool fixed_buffers = true; // CqOptions::fixed_buffers
    // Entries queued, mirrored outside the lock so that a polling dequeue of an empty CQ does
    // not take it (a RIODequeueCompletion spin loop would otherwise starve the progress thread).
    std::atomic<std::uint64_t> queued{0};
    UringState* uring = nullptr;         // owned by backend_uring.cpp
    UringNotify* uring_notify = nullptr; // owned by uring_notify.cpp
    NativeCq* native = nullptr;          // owned by backend_native_win.cpp
    std::uint64_t poll_token = 0;
};

struct Slot {
    void* context = nullptr;
    char* data = nullptr;
    ULONG length = 0;
    ULONG done = 0; // epoll: bytes moved so far
    std::uint32_t buffer = kNoBuffer;
    DWORD flags = 0;
    // Datagram RQs: the SOCKADDR_INET slice a send goes to or a receive reports its source in
    // (nullptr: the connected peer / not reported); pinned like the data buffer.
    char* address = nullptr;
    ULONG address_length = 0;
    std::uint32_t address_buffer = kNoBuffer;
};

#ifdef _WIN32
// The overlapped backend keeps ONE WSASend/WSARecv per direction in flight; its OVERLAPPED
// lives in the direction (pooled with the Rq: no allocation per request), and the completion
// port hands it back, which names the direction.
struct Dir;
struct OverlappedIo {
    OVERLAPPED ov{};
    WSABUF buf{};
    Dir* dir = nullptr;
    // WSARecvFrom writes a datagram's source here when it completes (the slot's slice gets it
    // then), so both must outlive the call.
    SOCKADDR_STORAGE from{};
    INT from_length = 0;
};
#else
// io_uring's SENDMSG/RECVMSG name a msghdr (and through it an iovec and an address) that must
// stay put while the kernel holds the request: one block per request a datagram direction may
// have in the kernel, sized when its RQ attaches (backend_uring.cpp).
struct MsgIo {
    msghdr msg{};
    iovec iov{};
    posix::KernelAddress address{};
};
#endif

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
#ifdef _WIN32
    OverlappedIo io{};
#else
    std::vector<MsgIo> msgs; // io_uring, datagram RQs only; a chain is at most msgs.size() long
    bool gso_off = false;    // datagram sends: the socket refused UDP_SEGMENT (datagram_posix.cpp)
#endif

    Slot& slot(std::uint64_t seq) noexcept {
        return slots[seq % slots.size()];
    }
};

struct Rq {
    net::NativeSocket fd = net::invalid_socket;
    void* socket_context = nullptr;
    // A UDP socket: each request is one datagram (no WAITALL, a receive takes one datagram,
    // a truncated one completes with WSAEMSGSIZE) and may name an address.
    bool datagram = false;
    Dir recv;
    Dir send;
    std::uint64_t poll_token = 0; // epoll backend registration
    Rq* next_free = nullptr;      // request_queue.cpp's pool of destroyed RQs (no allocation)
#ifdef _WIN32
    // Native RIO: the system's request queue for this socket, and the lock that serializes
    // RIOSend/RIOReceive on it (the two directions may complete into different CQs, whose
    // locks do not exclude each other; RIO requires the calls on one RQ to be serialized).
    RIO_RQ native_rq = RIO_INVALID_RQ;
    std::mutex native_mu;
#endif
};

// ------------------------------------------------------- request queues (request_queue.cpp)
// Frees the pool of destroyed Rq objects (which create reuses, so that neither create nor
// destroy allocates): the process's last CQ closed, so no RQ is alive. Safe at any time.
void release_request_queue_pool() noexcept;

// ------------------------------------------------------- completions (completion_queue.cpp)
// The options of a CQ made through the C table (RIOCreateCompletionQueue has none): the
// defaults, and single-owner for a polled CQ when RIOSP_RIO_OWNER_CQ=1 (docs/rio.md).
[[nodiscard]] CqOptions table_cq_options(const RIO_NOTIFICATION_COMPLETION* notification) noexcept;
// All "locked" functions expect the direction's CQ mutex to be held.
void complete_head_locked(Dir& d, int status, ULONG bytes) noexcept;
void cancel_pending_locked(Dir& d) noexcept; // completes [head, cancel_upto) with 995

// ------------------------------------------------------------------ the platform's backends
// What core/ asks of a CQ's backend. One implementation per platform
// (backends_posix.cpp: io_uring and epoll; backends_win.cpp: native RIO and overlapped), each
// a switch on the CQ's backend tag into that backend's file.
[[nodiscard]] Backend choose_backend() noexcept; // probe once, one line on stderr
[[nodiscard]] bool platform_backend_available(Backend backend) noexcept;
// Whether CqOptions::single_owner takes effect on this backend (io_uring on a kernel with
// IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN); elsewhere the option is ignored.
[[nodiscard]] bool single_owner_supported(Backend backend) noexcept;
// What a request queue may run on: 0 with `datagram` set for a datagram socket and cleared for a
// stream socket; WSAENOTSOCK for a handle that is not a socket, WSAEOPNOTSUPP for a socket of
// another kind (raw, seqpacket).
[[nodiscard]] int socket_kind(net::NativeSocket s, bool& datagram) noexcept;
// Takes the application's notification into cq (cq.notification already copied): 0 or
// WSAEINVAL for a kind or handle this platform cannot signal.
[[nodiscard]] int open_notification(Cq& cq, const CqOptions& options) noexcept;
void signal_event(Cq& cq) noexcept; // RIONotify fires (an event, or a completion-port packet)
void reset_event(Cq& cq) noexcept;  // manual-reset semantics: only when asked
// Whether CompletionQueue::wait can sleep on this CQ (it has an event, not a completion port).
[[nodiscard]] bool can_wait(const Cq& cq) noexcept;
[[nodiscard]] int backend_open(Cq& cq) noexcept; // backend state and progress thread
void backend_close(Cq& cq) noexcept;
// Polling dequeue of a CQ with nothing queued: may completions arrive if the lock is taken?
// (Lets an empty io_uring CQ answer without a lock or a syscall; epoll does ready I/O here.)
[[nodiscard]] bool backend_may_complete(Cq& cq) noexcept;
void backend_reap_locked(Cq& cq) noexcept;
void backend_arm_locked(Cq& cq) noexcept; // RIONotify armed: have completions watched
void backend_commit_locked(Dir& d) noexcept;
void backend_cancel_locked(Dir& d) noexcept; // cancel_upto set: end what is in flight
// CompletionQueue::wait's sleep: begin/end run under the CQ lock, sleep without it.
void backend_wait_begin_locked(Cq& cq) noexcept;
void backend_sleep(Cq& cq, int timeout_ms) noexcept;
void backend_wait_end_locked(Cq& cq) noexcept;
[[nodiscard]] int backend_attach(Rq& rq) noexcept;
// RequestQueue teardown, after cancel_all: request_queue.cpp reaps (backend_reap_locked) until the
// OS has handed back every request of rq, pausing with backend_pause in between (bounded; an RQ the
// OS still names is leaked, never freed). Then backend_detach undoes backend_attach.
void backend_pause(Cq& cq) noexcept;
void backend_detach(Rq& rq) noexcept;
// The registry freed index: no backend may keep the old region (io_uring's buffer tables).
void backend_forget_buffer(std::uint32_t index) noexcept;
[[nodiscard]] std::size_t backend_fixed_buffers(const Cq& cq) noexcept;
// Resizes the backend's own queues, if it has any (native RIO), before core/ commits the new
// size: 0 or a WSA code (then nothing changed).
[[nodiscard]] int backend_resize_cq(Cq& cq, DWORD queue_size) noexcept;
[[nodiscard]] int backend_resize_rq(Rq& rq, ULONG max_receive, ULONG max_send) noexcept;

// ------------------------------------------------------------------ the caller's waits
// rio/caller.h's platform part (caller_posix.cpp, caller_win.cpp): the wait of one blocking
// call in the calling thread; caller.cpp adds busy-polling and the interruption rule.
[[nodiscard]] int receive_waiting(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                                  std::size_t& got, const caller::Wait& wait,
                                  net::Receive how) noexcept;
[[nodiscard]] int receive_from_waiting(net::NativeSocket s,
                                       std::span<const net::MutableBytes> parts, void* win_addr,
                                       int* len, net::Datagram& got, const caller::Wait& wait,
                                       net::Receive how) noexcept;
[[nodiscard]] int accept_waiting(net::NativeSocket s, net::NativeSocket& out, void* win_addr,
                                 int* len, const caller::Wait& wait) noexcept;
[[nodiscard]] int connect_waiting(net::NativeSocket s, const void* win_addr, int len,
                                  const caller::Wait& wait) noexcept;

} // namespace riosp::rio::detail
