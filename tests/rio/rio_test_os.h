// What the rio suites need from the operating system besides rio itself: the plain peer
// socket of a loopback pair and the event RIONotify signals. One implementation per platform
// (rio_test_os_posix.cpp, rio_test_os_win.cpp), so the suites themselves are platform-free.
#pragma once

#include <rio/net.h>
#include <riosp/rio_types.h>

#include <cstddef>
#include <cstdint>

namespace riosp::rio::test {

using Sock = net::NativeSocket;

// A connected loopback TCP pair of blocking sockets with TCP_NODELAY (false on failure).
[[nodiscard]] bool open_tcp_pair(Sock& local, Sock& peer);
void close_socket(Sock s);
// Abortive close: SO_LINGER {1, 0}, so the peer sees an RST (or just the option, close later).
void set_abort_on_close(Sock s);
// Blocking send of everything, without SIGPIPE: false on error.
[[nodiscard]] bool send_all(Sock s, const void* data, std::size_t size);
// Blocking receive: bytes (0 at EOF), or -1 on error. waitall: until size bytes or EOF.
[[nodiscard]] long recv_some(Sock s, void* data, std::size_t size, bool waitall = false);
// Readable within timeout_ms (data, EOF or error waiting).
[[nodiscard]] bool readable(Sock s, int timeout_ms);
void shutdown_send(Sock s); // the FIN
// A handle that is not a socket (Linux: a pipe's read end; Windows: an event object).
[[nodiscard]] Sock open_non_socket();
void close_non_socket(Sock s);
// Threads of this process right now.
[[nodiscard]] std::size_t thread_count();
// Whether every thread of this process but the caller is asleep: the threads rio started have
// finished starting (under a sanitizer, a thread's own start-up allocates; the allocation
// tests count every thread). Linux only; Windows builds have no sanitizer and answer true.
[[nodiscard]] bool other_threads_asleep();

// The event a RIO_EVENT_COMPLETION notification names. Linux: an eventfd (its HANDLE the
// encoded descriptor); Windows: a manual-reset event object.
class TestEvent {
public:
    TestEvent();
    ~TestEvent();
    TestEvent(const TestEvent&) = delete;
    TestEvent& operator=(const TestEvent&) = delete;
    [[nodiscard]] HANDLE handle() const;
    // Signalled now or within timeout_ms; does not reset it.
    [[nodiscard]] bool signaled(int timeout_ms) const;
    void set();
    void reset();

private:
    std::intptr_t native_;
};

} // namespace riosp::rio::test
