// Kernel socket operations the provider needs besides the RIO data path: create, bind, listen,
// accept, connect, shut down, close, options and names. RIO itself has no accept/connect
// (sockets come from the normal path), so these live beside the rings, one file per platform.
//
// Addresses cross this boundary as *Windows-layout* sockaddr bytes with Windows family values
// (AF_INET 2, AF_INET6 23); translation to the kernel's layout happens only in the backend.
// Every function returns 0 or a WSA error code (rio/wsa_error.h), never throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace riosp::rio::net {

#ifdef _WIN32
// A Winsock SOCKET (UINT_PTR) of the provider underneath riosp (rio/win/net_win.cpp).
using NativeSocket = std::uintptr_t;
inline constexpr NativeSocket invalid_socket = ~NativeSocket{0};
#else
using NativeSocket = int;
inline constexpr NativeSocket invalid_socket = -1;
#endif

// A close-on-exec TCP socket of the Windows address family `win_family`. Its mode: on Linux
// blocking, as a new Winsock socket is, and then whatever set_non_blocking says (the provider
// keeps it equal to the socket's Winsock mode, so that a blocking call can simply block in the
// kernel: rio/caller.h); on Windows always non-blocking (see rio/caller.h).
[[nodiscard]] int open_tcp(int win_family, NativeSocket& out) noexcept;
// The same for a UDP socket (datagrams: one send is one datagram, one receive takes one).
[[nodiscard]] int open_udp(int win_family, NativeSocket& out) noexcept;
// Linux: sets the socket's mode (O_NONBLOCK). Windows: nothing to do (always non-blocking).
[[nodiscard]] int set_non_blocking(NativeSocket s, bool on) noexcept;
[[nodiscard]] int bind(NativeSocket s, const void* win_addr, int len) noexcept;
[[nodiscard]] int listen(NativeSocket s, int backlog) noexcept;
// Accept in the listener's mode: on a non-blocking one WSAEWOULDBLOCK when nothing is pending.
// The new socket is in blocking mode on Linux, non-blocking on Windows (as open_tcp).
[[nodiscard]] int accept(NativeSocket s, NativeSocket& out, void* win_addr, int* len) noexcept;
// Connect in the socket's mode: a non-blocking one answers 0 when connected at once,
// WSAEWOULDBLOCK while in progress (finish with wait_writable + connect_result).
[[nodiscard]] int connect(NativeSocket s, const void* win_addr, int len) noexcept;
[[nodiscard]] int connect_result(NativeSocket s) noexcept; // SO_ERROR as a WSA code
// A UDP socket forgets its default peer (Winsock: a connect to the unspecified address).
[[nodiscard]] int dissolve_peer(NativeSocket s, int win_family) noexcept;
// Waits up to timeout_ms (-1: forever) for readability/writability. 0 ready, WSAETIMEDOUT.
[[nodiscard]] int wait_readable(NativeSocket s, int timeout_ms) noexcept;
[[nodiscard]] int wait_writable(NativeSocket s, int timeout_ms) noexcept;
// shutdown(SHUT_WR): the FIN. Callers guarantee no send is queued before it.
[[nodiscard]] int shutdown_send(NativeSocket s) noexcept;
// Sends what the kernel takes at once from the parts, in order, without blocking and without
// SIGPIPE: 0 with `sent` the bytes taken, WSAEWOULDBLOCK when it takes nothing now, or the
// connection's error (reported once by the kernel, so the caller must act on it: WSAECONNRESET
// for a reset, also when a receive already took the reset and the socket is shut both ways).
struct ConstBytes {
    const void* data;
    std::size_t size;
};
[[nodiscard]] int send_now(NativeSocket s, std::span<const ConstBytes> parts,
                           std::size_t& sent) noexcept;
// Receives what the kernel holds at once into the parts, in order, without blocking: 0 with
// `got` the bytes (0: the peer's FIN), WSAEWOULDBLOCK when nothing is there, or the error
// (WSAECONNRESET ...). Receive::peek copies the bytes and leaves them queued (MSG_PEEK).
struct MutableBytes {
    void* data;
    std::size_t size;
};
enum class Receive : std::uint8_t { take, peek };
[[nodiscard]] int recv_now(NativeSocket s, std::span<const MutableBytes> parts, std::size_t& got,
                           Receive how = Receive::take) noexcept;
// Datagrams. Sends one datagram of the parts, in order, without blocking: to `win_addr` (Windows
// layout), or with win_addr == nullptr to the socket's default peer (its connect). 0 with `sent`
// the datagram's size, WSAEWOULDBLOCK when the kernel has no room now, or the error
// (WSAEMSGSIZE for a datagram over the protocol's limit, WSAEDESTADDRREQ without a peer ...).
[[nodiscard]] int send_to_now(NativeSocket s, std::span<const ConstBytes> parts,
                              const void* win_addr, int len, std::size_t& sent) noexcept;
// What one received datagram was: its bytes in the parts, and whether it was longer than the
// parts (the rest is discarded: Winsock reports WSAEMSGSIZE with the parts filled).
struct Datagram {
    std::size_t bytes = 0;
    bool truncated = false;
};
// Receives one datagram into the parts without blocking, its source written to win_addr / *len
// (Windows layout) when win_addr is not nullptr: 0 with `got`, WSAEWOULDBLOCK when none is
// queued, or the error. Receive::peek leaves the datagram queued.
[[nodiscard]] int recv_from_now(NativeSocket s, std::span<const MutableBytes> parts, void* win_addr,
                                int* len, Datagram& got, Receive how = Receive::take) noexcept;
// The application's memory as the kernel finds it: whether [data, data + size) can be read (a
// send's bytes) or written (a receive's room) now; an empty range can. A kernel call on a bad
// buffer answers WSAEFAULT, but a copy the provider makes itself between the application's
// buffers and its rings would crash there, so it asks first. Each is a system call (Linux:
// madvise MADV_POPULATE_READ / MADV_POPULATE_WRITE, which faults the pages in as the copy
// would; Windows: VirtualQuery), so only the paths that copy ask.
[[nodiscard]] bool can_read(const void* data, std::size_t size) noexcept;
[[nodiscard]] bool can_write(void* data, std::size_t size) noexcept;
// Makes a receive, accept or connect that another thread waits for in the kernel on `s` return
// now, and any started later return at once, without anything on the wire: Linux
// shutdown(SHUT_RD) (on a connection it only stops the receive side locally; a listener stops
// listening; a connect in progress is abandoned). Only on a socket about to be closed. Windows
// has no such call: there the waits look at their interruption flag between slices.
void interrupt_waits(NativeSocket s) noexcept;
// Whether the kernel still holds bytes of this connection that it has not sent (a peer with a
// closed window). Linux: SIOCOUTQNSD. Winsock has no such query, so on Windows this is false
// and only riosp's own send ring counts as queued data.
[[nodiscard]] bool has_unsent_data(NativeSocket s) noexcept;
// Graceful close (the kernel finishes sending in the background), or abortive: SO_LINGER
// {1,0} then close, so the peer sees a RST and no TIME_WAIT is left.
void close(NativeSocket s, bool abortive) noexcept;
[[nodiscard]] int local_name(NativeSocket s, void* win_addr, int* len) noexcept;
[[nodiscard]] int peer_name(NativeSocket s, void* win_addr, int* len) noexcept;

// Options with a direct kernel counterpart, named for what they do. Values are plain ints.
enum class Option : std::uint8_t {
    reuse_addr,
    keep_alive,
    no_delay,
    send_buffer,
    recv_buffer,
    v6_only,
    broadcast // SO_BROADCAST: datagrams may go to a broadcast address
};
[[nodiscard]] int set_option(NativeSocket s, Option o, int value) noexcept;
[[nodiscard]] int get_option(NativeSocket s, Option o, int& value) noexcept;
// Bytes the kernel holds for reading (FIONREAD on the native socket).
[[nodiscard]] int readable_bytes(NativeSocket s, int& bytes) noexcept;

} // namespace riosp::rio::net

namespace riosp::rio::net {

// Readiness notification for sockets outside the RIO rings (listening and connecting ones):
// FD_ACCEPT and FD_CONNECT come from here. One-shot: an event disarms its socket until
// arm() is called again. Linux: epoll. Windows: WSAPoll plus a wake-up socket.
class Poller {
public:
    struct Event {
        void* tag;
        bool readable;
        bool writable;
        bool error;
    };
    Poller() noexcept = default;
    ~Poller();
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    [[nodiscard]] int open() noexcept;
    // Watches `s` once for readability and/or writability, reporting `tag`.
    [[nodiscard]] int arm(NativeSocket s, bool readable, bool writable, void* tag) noexcept;
    void disarm(NativeSocket s) noexcept;
    // Waits up to timeout_ms (-1 forever); returns the number of events written to `out`.
    [[nodiscard]] int wait(Event* out, int capacity, int timeout_ms) noexcept;
    // Makes a concurrent wait() return (used to stop the watcher thread).
    void wake() noexcept;

private:
#ifdef _WIN32
    struct Impl;
    Impl* impl_ = nullptr;
#else
    int epoll_ = -1;
    int wake_fd_ = -1;
#endif
};

} // namespace riosp::rio::net

namespace riosp::rio::net {

// A manual-reset wake-up event that a RIO completion queue can signal (its HANDLE is what
// RIO_EVENT_COMPLETION's EventHandle takes). Linux: an eventfd. Windows: a manual-reset event.
class WakeEvent {
public:
    WakeEvent() noexcept = default;
    ~WakeEvent();
    WakeEvent(const WakeEvent&) = delete;
    WakeEvent& operator=(const WakeEvent&) = delete;

    [[nodiscard]] int open() noexcept;
#ifdef _WIN32
    // The event's HANDLE, RIO_EVENT_COMPLETION's EventHandle as it is.
    [[nodiscard]] void* native() const noexcept {
        return handle_;
    }
#else
    // The descriptor; riosp::event_handle_from_fd turns it into RIO_EVENT_COMPLETION's HANDLE.
    [[nodiscard]] int native() const noexcept {
        return fd_;
    }
#endif
    // What RIO_NOTIFICATION_COMPLETION's Event.EventHandle takes for this event (Linux: the
    // descriptor encoded by riosp::event_handle_from_fd; Windows: the event's HANDLE).
    [[nodiscard]] void* notification_handle() const noexcept;
    // Waits until signalled (or timeout_ms passes; -1 forever), then resets the event.
    void wait_and_reset(int timeout_ms) noexcept;
    void signal() noexcept;

private:
#ifdef _WIN32
    void* handle_ = nullptr;
#else
    int fd_ = -1;
#endif
};

} // namespace riosp::rio::net

namespace riosp::rio::net {

// Waits until any of many sockets is ready, or another thread wakes it: what a select that finds
// nothing ready blocks in, so that readiness riosp keeps itself (bytes a worker put into a
// socket's receive ring, ring room a send completion freed) wakes it as soon as the kernel's does.
// One thread waits in it at a time; any thread wakes it. Linux: ppoll(2) over the sockets and an
// eventfd. Windows: WSAPoll over the sockets and a self-connected UDP socket.
class ReadyWait {
public:
    // One socket, what to wait for, and, after wait(), whether it is ready for it (an error or a
    // hang-up counts: the next call on the socket reports it).
    struct Watch {
        NativeSocket s = invalid_socket;
        bool readable = false;
        bool writable = false;
        bool ready = false;
    };
    ReadyWait() noexcept = default;
    ~ReadyWait();
    ReadyWait(const ReadyWait&) = delete;
    ReadyWait& operator=(const ReadyWait&) = delete;

    [[nodiscard]] int open() noexcept;
    // Waits until one of `watches` is ready, wake() is called, or `timeout` passes (negative: no
    // bound; zero: a look only). A wake() made while nobody waits makes the next wait() return at
    // once. Sets every Watch::ready: 0, or a WSA error (WSAENOBUFS: no room for this many). An
    // interrupted wait (a signal) returns 0 early, as a wake-up does.
    [[nodiscard]] int wait(std::span<Watch> watches, std::chrono::microseconds timeout) noexcept;
    // Makes the current wait() return, or the next one. Any thread; a system call only for the
    // first wake() since the last wait() that saw one.
    void wake() noexcept;

private:
    struct Impl;
    Impl* impl_ = nullptr;
};

} // namespace riosp::rio::net
