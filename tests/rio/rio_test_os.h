// What the rio suites need from the operating system besides rio itself: the plain peer
// socket of a loopback pair and the event RIONotify signals. One implementation per platform
// (rio_test_os_posix.cpp, rio_test_os_win.cpp), so the suites themselves are platform-free.
#pragma once

#include <rio/net.h>
#include <rio/rio.h>
#include <riosp/rio_types.h>

#include <array>
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
// Windows' SOCKADDR_INET (sockaddr_in with family 2 or sockaddr_in6 with family 23, in Windows'
// layout on every platform): what RIOSendEx / RIOReceiveEx name.
using WinAddress = std::array<char, 28>;
// A UDP socket bound to an ephemeral port of the loopback (::1 when v6), or invalid_socket. On
// Windows it can carry a system RIO request queue.
[[nodiscard]] Sock open_udp(bool v6);
[[nodiscard]] WinAddress local_address(Sock s);
[[nodiscard]] bool connect_to(Sock s, const WinAddress& to);
// One datagram to `to` (an unconnected socket) or to the connected peer (to == nullptr).
[[nodiscard]] bool send_to(Sock s, const WinAddress* to, const void* data, std::size_t size);
// One datagram within timeout_ms: its bytes (at most size), or -1; its source into *from.
[[nodiscard]] long recv_from(Sock s, void* data, std::size_t size, WinAddress* from,
                             int timeout_ms = 5000);
// A handle that is not a socket (Linux: a pipe's read end; Windows: an event object).
[[nodiscard]] Sock open_non_socket();
void close_non_socket(Sock s);
// Whether this process may hold `count` descriptors at once (Linux: raises RLIMIT_NOFILE's soft
// limit towards the hard one if it must; Windows has no such limit: true).
[[nodiscard]] bool allow_descriptors(std::size_t count);
// Threads of this process right now.
[[nodiscard]] std::size_t thread_count();
// Whether every thread of this process but the caller is asleep: the threads rio started have
// finished starting (under a sanitizer, a thread's own start-up allocates; the allocation
// tests count every thread). Linux only; Windows builds have no sanitizer and answer true.
[[nodiscard]] bool other_threads_asleep();
// Buffer registrations (rio::live_buffer_registrations) one region counts once a request of
// `backend` has named it: 2 for the native backend over the RIO table double (under Wine), whose
// system registration of the region is one of riosp's own; 1 everywhere else.
[[nodiscard]] std::size_t registrations_per_used_region(Backend backend);

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
