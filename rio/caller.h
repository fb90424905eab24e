// I/O the calling thread waits for itself: what a blocking Winsock receive, accept or connect
// needs so that the thread that blocks is the thread the kernel wakes. A plain blocking recv(2)
// costs one wake-up; a request completed by a worker that then wakes the caller costs two, and
// on a small machine a cross-CPU wake-up costs about as much as the system call itself.
//
// Linux (caller_posix.cpp): the provider keeps a socket's kernel mode equal to its Winsock mode
// (rio::net::set_non_blocking), so a blocking call on a blocking socket is the plain blocking
// system call: recvmsg straight into the application's buffers, accept4 (the kernel's wait is
// exclusive: one of the threads blocked on a listener is woken per connection), connect. One
// system call and one wake-up, as for an application on plain sockets. (A ring of the thread's
// own, IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN, was measured against it: half-close churn
// at 0.70x of raw blocking sockets, against 0.81-1.06x for a non-blocking attempt plus poll;
// the README has the figures.)
// Windows (caller_win.cpp): base sockets stay non-blocking, because Winsock cannot end another
// thread's blocking call without closing the socket; a call tries at once, then waits for
// readiness (WSAPoll) in slices of wait_slice_ms, looking at its Wait between them.
//
// Interruption (closesocket from another thread): Wait::interrupt makes the call return WSAEINTR
// unless it already has its result. On Linux the kernel wait is ended by shutdown(SHUT_RD),
// which puts nothing on the wire (rio::net::interrupt_waits).
#pragma once

#include <rio/net.h>
#include <rio/rio.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <span>

namespace riosp::rio::caller {

// The interruption of the blocking calls on one socket: every call waiting on `s` with this Wait
// (any number, from any threads) ends once another thread calls interrupt(s), and so does every
// later one: the interruption sticks until reset() (a socket object's next life). The socket
// must still be open when interrupt() is called.
class Wait {
public:
    void interrupt(net::NativeSocket s) noexcept {
        interrupted_.store(true, std::memory_order_release);
        net::interrupt_waits(s);
    }
    [[nodiscard]] bool interrupted() const noexcept {
        return interrupted_.load(std::memory_order_acquire);
    }
    void reset() noexcept { interrupted_.store(false, std::memory_order_relaxed); }

private:
    std::atomic<bool> interrupted_{false};
};

// Longest sleep of a readiness wait (Windows) before it looks at its Wait again.
inline constexpr int wait_slice_ms = 50;

// Each call wants the socket in blocking mode (its Winsock mode; see above).
//
// Receives into `parts`, in order, waiting in the calling thread until at least one byte, the
// peer's FIN or an error: the bytes received (0: the FIN), or a WSA error (WSAEINTR when
// interrupted first, WSAECONNRESET ...). `spin` > 0 (busy-poll mode): non-blocking attempts for
// that long before the thread sleeps. net::Receive::peek leaves the bytes queued.
[[nodiscard]] Result<std::size_t> receive(net::NativeSocket s,
                                          std::span<const net::MutableBytes> parts,
                                          std::chrono::microseconds spin, Wait& wait,
                                          net::Receive how = net::Receive::take) noexcept;

// The same for one datagram (a UDP socket): its source in win_addr / *len (Windows layout) when
// win_addr is not nullptr. A datagram of 0 bytes is a datagram, not an end: on Linux, where the
// interruption ends the kernel's wait with 0 bytes, the Wait tells the two apart.
[[nodiscard]] Result<net::Datagram> receive_from(net::NativeSocket s,
                                                 std::span<const net::MutableBytes> parts,
                                                 void* win_addr, int* len,
                                                 std::chrono::microseconds spin, Wait& wait,
                                                 net::Receive how = net::Receive::take) noexcept;

// Accepts one connection on listener `s`, waiting in the calling thread: 0 with `out` the new
// socket (in rio::net::accept's mode; its peer's address in win_addr/len, Windows layout, when
// given), or a WSA error (WSAEINTR when interrupted).
[[nodiscard]] int accept(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
                         Wait& wait) noexcept;

// Connects `s` (a fresh socket) to the Windows-layout address, waiting in the calling thread
// until the connection is established or refused: 0 or a WSA error (WSAEINTR when
// interrupted; interrupting also abandons the attempt).
[[nodiscard]] int connect(net::NativeSocket s, const void* win_addr, int len, Wait& wait) noexcept;

} // namespace riosp::rio::caller
