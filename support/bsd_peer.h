// The plain-socket end of the wire for tests and benchmarks: the system's TCP stack with no
// riosp code in it (bsd_peer_posix.cpp: Linux sockets; bsd_peer_win.cpp: Winsock; bsd_peer.cpp the
// loops over either). A neutral interface in its own translation units because the Linux socket
// headers and riosp's Windows-layout headers cannot meet in one file.
//
// Conventions, on both platforms: descriptors are ints (a Windows SOCKET value fits: handle
// values stay within 32 bits); errors are errno values (Winsock's are mapped to the ones Linux
// reports), negated where the same return value otherwise carries a descriptor or a count.
// Sockets are blocking and carry TCP_NODELAY; nothing here allocates after set-up.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace riosp::bsd {

// A listening socket on 127.0.0.1 with a kernel-chosen port; throws std::runtime_error when
// it cannot listen.
class Listener {
public:
    explicit Listener(int backlog = 1024);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] int fd() const noexcept { return fd_; }
    // The next connection, or -errno (-ETIMEDOUT when none came within timeout_ms).
    [[nodiscard]] int accept_one(int timeout_ms = 5000) const;

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A connection to 127.0.0.1:port, or -errno (-EADDRNOTAVAIL when the ephemeral ports are
// exhausted).
[[nodiscard]] int connect_loopback(std::uint16_t port);

// Both ends of one loopback connection; make_pair throws std::runtime_error on failure.
struct Pair {
    int client = -1;
    int server = -1;
};
[[nodiscard]] Pair make_pair();
void close_pair(Pair& pair);

// One receive: the bytes (0 at EOF), or -errno.
[[nodiscard]] long recv_some(int fd, void* data, std::size_t len);
// One non-blocking send: the bytes the kernel took (0 when it took none), or -errno.
[[nodiscard]] long send_now(int fd, const void* data, std::size_t len);
// Sends everything: 0 or the errno.
[[nodiscard]] int send_all(int fd, const void* data, std::size_t len);
[[nodiscard]] int send_all(int fd, std::string_view data);
// Receives exactly len bytes: 0, EPIPE at an early EOF, the errno, or ETIMEDOUT when a wait
// for more bytes outlasts timeout_ms (< 0: no bound and no wait but the receive itself).
[[nodiscard]] int recv_exact(int fd, void* data, std::size_t len, int timeout_ms = -1);
// As recv_exact, appending to `out` until it holds n bytes (what arrived stays there on failure).
[[nodiscard]] int read_exact(int fd, std::string& out, std::size_t n, int timeout_ms);
// Reads and discards until EOF into a fixed buffer: 0 at EOF, else the errno, or ETIMEDOUT as
// recv_exact.
[[nodiscard]] int drain_to_eof(int fd, int timeout_ms = -1);
// Reads until EOF, an error or the deadline, appending to `out`: 0 at EOF, the errno on error
// (ECONNRESET for a reset), ETIMEDOUT when timeout_ms has passed.
[[nodiscard]] int read_to_end(int fd, std::string& out, int timeout_ms);
// As read_to_end, but once `reset` is true the reading thread itself resets the connection
// (reset_in_place) and reads on to the end: a reset issued from another thread would race
// with this thread's receive on the same descriptor.
[[nodiscard]] int read_to_end_or_reset(int fd, std::string& out, int timeout_ms,
                                       const std::atomic<bool>& reset);

enum class Shut { rd, wr, rdwr };
// shutdown: 0 or the errno.
int shut(int fd, Shut how);
// Closes the socket (nothing for fd < 0): 0 or the errno.
int close_socket(int fd);
// Closes with SO_LINGER {1,0}: the other side sees a reset (where tcp_resets_work()).
void close_abortive(int fd);
// Resets the connection but keeps the descriptor (another thread may still read it): a connect
// to AF_UNSPEC makes Linux drop an established connection with a RST. Windows has no such
// call: there it does nothing (can_reset_in_place()).
void reset_in_place(int fd);

// Whether an abortive close really sends a RST here: yes on Linux and Windows, no under
// Wine 8, which closes such a socket gracefully (tests that need a RST skip there).
[[nodiscard]] bool tcp_resets_work();
// Whether reset_in_place works (Linux only).
[[nodiscard]] bool can_reset_in_place();

// Datagrams: a UDP socket bound to 127.0.0.1 with a kernel-chosen port (its port to `port`),
// or -errno.
[[nodiscard]] int udp_open_loopback(std::uint16_t& port);
// Sets the default peer 127.0.0.1:port: 0 or the errno.
[[nodiscard]] int udp_connect(int fd, std::uint16_t port);
// One datagram to 127.0.0.1:port (port 0: the default peer): its size, or -errno.
[[nodiscard]] long udp_send(int fd, std::uint16_t port, const void* data, std::size_t len);
// One datagram, waiting up to timeout_ms: its size, or -errno (-ETIMEDOUT when none came,
// -ECONNREFUSED when an ICMP port-unreachable came back for a connected socket); the source's
// port (host order) to *from_port when it is not nullptr.
[[nodiscard]] long udp_recv(int fd, void* data, std::size_t len, int timeout_ms,
                            std::uint16_t* from_port = nullptr);

// Whether a connected UDP socket hears of an ICMP port-unreachable (udp_recv's -ECONNREFUSED):
// Linux and Windows do; Wine 8 does not.
[[nodiscard]] bool udp_icmp_errors_reported();

// For -errno results: whether it means "no local port left", and its text.
[[nodiscard]] bool is_addr_not_avail(int neg_errno) noexcept;
[[nodiscard]] const char* error_text(int neg_errno) noexcept;

} // namespace riosp::bsd
