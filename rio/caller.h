// I/O the calling thread waits for itself: what a blocking Winsock receive or accept needs so
// that the thread that blocks is the thread the kernel wakes. A plain blocking recv(2) costs one
// wake-up; a request completed by a worker that then wakes the caller costs two, and on a small
// machine a cross-CPU wake-up costs about as much as the system call itself.
//
// Linux, io_uring backend: the request goes to a small io_uring of the calling thread's own
// (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN), set up at that thread's first call
// and closed when the thread ends. One io_uring_enter submits it (the kernel tries it at once)
// and waits; the completion runs in the caller's own context. A receive lands straight in the
// application's buffers, an accept is an exclusive wait (one thread woken per connection).
// Elsewhere (the epoll backend, Windows' backends): a non-blocking attempt, then the caller's
// own wait for readiness (exclusive for accept where the system has it), then the attempt again.
//
// Interruption (closesocket from another thread): Wait::interrupt makes the call return WSAEINTR
// unless it already has its result. On Linux the kernel wait is ended by shutdown(SHUT_RD), which
// puts nothing on the wire (rio::net::interrupt_waits); on Windows the wait looks at the flag
// between slices of wait_slice_ms.
#pragma once

#include <rio/net.h>
#include <rio/rio.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <span>

namespace riosp::rio::caller {

// One blocking call's wait, on the caller's stack. Another thread may interrupt it while the
// socket is still open (the provider orders both under the socket's lock).
class Wait {
public:
    void interrupt(net::NativeSocket s) noexcept {
        interrupted_.store(true, std::memory_order_release);
        net::interrupt_waits(s);
    }
    [[nodiscard]] bool interrupted() const noexcept {
        return interrupted_.load(std::memory_order_acquire);
    }

private:
    std::atomic<bool> interrupted_{false};
};

// Longest sleep of a readiness wait before it looks at its Wait again (where no kernel call
// can end it early).
inline constexpr int wait_slice_ms = 50;

// Receives into `parts`, in order, waiting in the calling thread until at least one byte, the
// peer's FIN or an error: the bytes received (0: the FIN), or a WSA error (WSAEINTR when
// interrupted first, WSAECONNRESET ...). `spin` > 0 (busy-poll mode): non-blocking attempts for
// that long before the thread sleeps.
[[nodiscard]] Result<std::size_t> receive(net::NativeSocket s,
                                          std::span<const net::MutableBytes> parts,
                                          std::chrono::microseconds spin, Wait& wait) noexcept;

// Accepts one connection on listener `s`, waiting in the calling thread: 0 with `out` a
// non-blocking socket (and its peer's address in win_addr/len, Windows layout, when given),
// or a WSA error (WSAEINTR when interrupted).
[[nodiscard]] int accept(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
                         Wait& wait) noexcept;

// Whether calls of this thread would go to a ring of its own (for tests and the README).
[[nodiscard]] bool uses_own_ring() noexcept;

} // namespace riosp::rio::caller
