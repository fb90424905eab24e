// The C++ face of rio/: Registered I/O (RIO) semantics over io_uring, or over epoll where
// io_uring is not allowed. The provider programs against these RAII types directly; the C
// function table (rio/rio_table.h) is a thin face over them.
//
// Threading contract (kept stricter than Windows so the provider can share a CQ):
// - every CompletionQueue has one mutex; requests on different RequestQueues that share a CQ
//   may be posted from any threads concurrently; dequeue/notify/resize may run concurrently
//   with them. A CQ created with CqOptions::single_owner is the exception: one thread only,
//   and its requests progress inside that thread's dequeue().
// - a RequestQueue must be destroyed before the CompletionQueues it uses.
// - no exceptions and no allocation on the I/O path (send/receive/dequeue/notify).
#pragma once

#include <rio/net.h>
#include <riosp/rio_types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace riosp::rio {

namespace detail {
struct Cq;
struct Rq;
} // namespace detail

// ---------------------------------------------------------------------------------------------
// Backends

// Linux: uring, epoll. Windows: native (the system's own RIO function table) and overlapped
// (WSASend/WSARecv completing through an I/O completion port, where the table is missing). A
// backend of the other platform is never available.
enum class Backend : std::uint8_t { uring, epoll, native, overlapped };

// The backend chosen for this process, probed once at first use: RIOSP_RIO_BACKEND=uring|epoll
// forces one, otherwise io_uring when io_uring_setup works and has what rio needs. One line on
// stderr says which and why.
[[nodiscard]] Backend active_backend() noexcept;
// Whether a backend can run here (epoll always can). Tests use it to skip, not to choose.
[[nodiscard]] bool backend_available(Backend backend) noexcept;
[[nodiscard]] const char* backend_name(Backend backend) noexcept;

// ---------------------------------------------------------------------------------------------
// Results: a value or a WSA error code, never an exception.

template <class T> class [[nodiscard]] Result {
public:
    Result(T value) noexcept : value_(std::move(value)) {} // NOLINT: implicit by design
    static Result failure(int wsa_error) noexcept { return Result(wsa_error, 0); }
    [[nodiscard]] bool ok() const noexcept { return error_ == 0; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] int error() const noexcept { return error_; }
    [[nodiscard]] T& value() & noexcept { return value_; }
    [[nodiscard]] T&& value() && noexcept { return std::move(value_); }

private:
    Result(int wsa_error, int) noexcept : error_(wsa_error) {}
    T value_{};
    int error_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Registered buffers. Registration is process-wide (as on Windows: a RIO_BUFFERID is usable
// with every queue). Ids are generation-checked table indices, so an unknown or stale id is
// WSAEINVAL, never a wild pointer.
//
// Deregistering a region that requests still reference is DEFERRED: the id stops being usable
// at once (new requests naming it get WSAEINVAL), and the registration is released when the
// last completion naming it is dequeued. The application must keep the memory alive until
// then, as on Windows.

[[nodiscard]] Result<RIO_BUFFERID> register_buffer(std::span<char> region) noexcept;
// 0 or WSAEINVAL (unknown / already deregistered id).
[[nodiscard]] int deregister_buffer(RIO_BUFFERID id) noexcept;
// Registrations alive, counting deregistered ones still referenced by requests (for tests).
[[nodiscard]] std::size_t live_buffer_registrations() noexcept;

class RegisteredBuffer {
public:
    RegisteredBuffer() = default;
    [[nodiscard]] static Result<RegisteredBuffer> create(std::span<char> region) noexcept;
    RegisteredBuffer(RegisteredBuffer&& other) noexcept
        : id_(std::exchange(other.id_, RIO_INVALID_BUFFERID)), region_(other.region_) {}
    RegisteredBuffer& operator=(RegisteredBuffer&& other) noexcept;
    RegisteredBuffer(const RegisteredBuffer&) = delete;
    RegisteredBuffer& operator=(const RegisteredBuffer&) = delete;
    ~RegisteredBuffer();

    [[nodiscard]] RIO_BUFFERID id() const noexcept { return id_; }
    [[nodiscard]] std::span<char> region() const noexcept { return region_; }
    [[nodiscard]] RIO_BUF slice(ULONG offset, ULONG length) const noexcept {
        return RIO_BUF{id_, offset, length};
    }

private:
    RIO_BUFFERID id_ = RIO_INVALID_BUFFERID;
    std::span<char> region_;
};

// ---------------------------------------------------------------------------------------------
// Completion queues

struct CqOptions {
    Backend backend = active_backend();
    // io_uring only (IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN): a polled CQ for one thread,
    // its owner, which is the first thread to enter its ring (normally its first dequeue(); it
    // may be created elsewhere). Requests posted to it are only written to the ring's SQ (but a
    // datagram batch, sent by its commit in one system call, as on every CQ); the
    // owner's next dequeue() hands everything committed since to the kernel and runs the
    // completion work the kernel deferred to it, in ONE system call, and a dequeue() with
    // neither to do makes none. So requests progress and complete only inside the owner's
    // dequeue() (a shared CQ's requests progress without the application). Post, cancel and
    // destroy the request queues that complete into it on the owner thread too; notification
    // is refused (WSAEINVAL): nobody else may enter the ring. Ignored by the epoll backend. The
    // C table's polled CQs get it with RIOSP_RIO_OWNER_CQ=1 (docs/rio.md).
    bool single_owner = false;
    // io_uring only: registered regions go to the kernel as registered (fixed) buffers, each
    // region entered into the ring's buffer table at its first use there (see rio/README.md
    // for which requests can use them). false: every request names plain memory (the
    // benchmarks' baseline). Ignored by the epoll backend and by single-owner rings.
    bool fixed_buffers = true;
};

class CompletionQueue {
public:
    CompletionQueue() noexcept;
    // notification: nullptr for a polling CQ; RIO_EVENT_COMPLETION with an eventfd encoded by
    // riosp::event_handle_from_fd; RIO_IOCP_COMPLETION is refused with WSAEINVAL on Linux.
    [[nodiscard]] static Result<CompletionQueue>
    create(DWORD queue_size, const RIO_NOTIFICATION_COMPLETION* notification = nullptr,
           CqOptions options = {}) noexcept;
    CompletionQueue(CompletionQueue&&) noexcept;
    CompletionQueue& operator=(CompletionQueue&&) noexcept;
    ~CompletionQueue();

    // Up to results.size() completions, oldest first; RIO_CORRUPT_CQ if the queue's header was
    // overwritten. Releases each request's quota and buffer reference.
    [[nodiscard]] ULONG dequeue(std::span<RIORESULT> results) noexcept;
    // Arm one notification: 0, or WSAEALREADY while one is armed, WSAEINVAL on a polling CQ.
    [[nodiscard]] int notify() noexcept;
    // 0, WSAETOOMANYREFS below what request queues charge or what is queued, WSAEINVAL, WSAENOBUFS
    [[nodiscard]] int resize(DWORD queue_size) noexcept;
    // riosp extension for a thread that dequeues this CQ itself and sleeps in between (the
    // provider's workers): returns at once when completions are queued, otherwise arms the
    // notification and blocks until a completion may be dequeued, the notification event is
    // signalled (by a completion, or by another thread waking the caller), or timeout_ms passes
    // (-1: no limit); then resets the event. On io_uring the caller waits on the ring itself, so
    // a kernel completion wakes it directly rather than through rio's progress thread (one
    // thread hop less per completion). It takes over a notification armed by notify() (one
    // notification per CQ): the event fires for whichever comes first, and wait disarms.
    // 0, or WSAEINVAL on a CQ without RIO_EVENT_COMPLETION.
    [[nodiscard]] int wait(int timeout_ms) noexcept;

    [[nodiscard]] Backend backend() const noexcept;
    [[nodiscard]] bool single_owner() const noexcept;
    // Submission passes: times committed requests were handed to the kernel (an io_uring_enter,
    // or the committing thread's own sendmsg / sendmmsg of a batch of sends; epoll: a pass of
    // send/recv), so tests can prove RIO_MSG_DEFER batching.
    [[nodiscard]] std::uint64_t submit_calls() const noexcept;
    // io_uring: requests that reached the kernel naming a registered (fixed) buffer.
    [[nodiscard]] std::uint64_t fixed_buffer_requests() const noexcept;
    [[nodiscard]] detail::Cq* native() const noexcept { return impl_.get(); }
    [[nodiscard]] explicit operator bool() const noexcept { return impl_ != nullptr; }

private:
    explicit CompletionQueue(std::unique_ptr<detail::Cq> impl) noexcept;
    std::unique_ptr<detail::Cq> impl_;
};

// ---------------------------------------------------------------------------------------------
// Request queues

class RequestQueue {
public:
    RequestQueue() noexcept;
    // native_fd: a connected TCP socket, or a UDP socket (bound, connected or neither)
    // (Windows: a SOCKET of the provider underneath riosp; the overlapped backend associates it
    // with rio's completion port). Not a socket: WSAENOTSOCK; a socket of another kind (raw,
    // seqpacket): WSAEOPNOTSUPP. rio never closes it (the provider owns it) and never changes
    // its flags (I/O uses MSG_DONTWAIT / io_uring). Capacity is charged against the CQs:
    // WSAENOBUFS when they have no room. Data-buffer counts must be >= 1; each request carries
    // exactly one RIO_BUF (as on Windows). On a UDP socket each send is one datagram and each
    // receive takes one datagram: RIO_MSG_WAITALL is WSAEINVAL there, and a datagram larger than
    // the receive's buffer completes with Status WSAEMSGSIZE, BytesTransferred the buffer's
    // length (the rest is discarded).
    [[nodiscard]] static Result<RequestQueue>
    create(net::NativeSocket native_fd, ULONG max_outstanding_receive,
           ULONG max_receive_data_buffers, ULONG max_outstanding_send, ULONG max_send_data_buffers,
           CompletionQueue& receive_cq, CompletionQueue& send_cq, void* socket_context) noexcept;
    RequestQueue(RequestQueue&&) noexcept;
    RequestQueue& operator=(RequestQueue&&) noexcept;
    // Cancels everything in flight (completions with WSA_OPERATION_ABORTED stay in the CQs and
    // are still dequeued by the application), waits for the kernel to let go of the requests,
    // and returns the RQ's CQ capacity once those completions are dequeued.
    ~RequestQueue();

    // 0 or a WSA code. Flags: RIO_MSG_DONT_NOTIFY, RIO_MSG_DEFER, RIO_MSG_COMMIT_ONLY (alone).
    // Sends on one RQ complete in submission order.
    [[nodiscard]] int send(std::span<const RIO_BUF> buffers, DWORD flags,
                           void* request_context) noexcept;
    // As send, plus RIO_MSG_WAITALL (stream sockets only).
    [[nodiscard]] int receive(std::span<const RIO_BUF> buffers, DWORD flags,
                              void* request_context) noexcept;
    // RIOSendEx / RIOReceiveEx: as send / receive, with a datagram's address. remote_address
    // is a slice of a registered buffer holding a SOCKADDR_INET in Windows' layout (a
    // sockaddr_in with family 2, or a sockaddr_in6 with family 23); it stays the request's
    // until its completion is dequeued, like the data buffer. send_ex sends the datagram to it
    // (nullptr: to the connected peer); receive_ex writes the datagram's source into it when the
    // receive completes (nullptr: not reported). A slice shorter than the address (a receive's:
    // than a SOCKADDR_INET, 28 bytes) is WSAEINVAL at post time, a send to another family
    // WSAEAFNOSUPPORT; an address on a stream socket's RQ is WSAEINVAL.
    [[nodiscard]] int send_ex(std::span<const RIO_BUF> buffers, const RIO_BUF* remote_address,
                              DWORD flags, void* request_context) noexcept;
    [[nodiscard]] int receive_ex(std::span<const RIO_BUF> buffers, const RIO_BUF* remote_address,
                                 DWORD flags, void* request_context) noexcept;
    // 0, WSAETOOMANYREFS below what is outstanding, WSAENOBUFS when the CQ has no room.
    [[nodiscard]] int resize(ULONG max_outstanding_receive, ULONG max_outstanding_send) noexcept;
    // riosp extension: every request of this RQ still in flight (including deferred ones)
    // completes through its CQ with Status = WSA_OPERATION_ABORTED (995).
    void cancel_all() noexcept;

    [[nodiscard]] net::NativeSocket native_fd() const noexcept;
    [[nodiscard]] detail::Rq* native() const noexcept { return impl_.get(); }
    [[nodiscard]] explicit operator bool() const noexcept { return impl_ != nullptr; }

private:
    explicit RequestQueue(std::unique_ptr<detail::Rq> impl) noexcept;
    std::unique_ptr<detail::Rq> impl_;
};

// The last error of the functions the application calls directly (the C table, DisconnectEx):
// rio's own per-thread value, and the application's WSAGetLastError() slot too (Windows: the
// thread's last error, as WSASetLastError sets it; Linux: riosp's host, through the C function
// it exports, riosp_host_set_last_error, when the process has one). last_error_{posix,win}.cpp.
[[nodiscard]] int last_error() noexcept;
void set_last_error(int wsa_error) noexcept;

} // namespace riosp::rio
