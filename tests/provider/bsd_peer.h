// The other end of the wire in provider tests: the system's TCP stack through plain sockets, no
// riosp code (bsd_peer_posix.cpp: Linux BSD sockets; bsd_peer_win.cpp: Winsock; bsd_peer.cpp the
// loops over either). Kept in its own translation units with a neutral interface because the
// Linux socket headers and riosp's Windows-layout headers cannot meet in one file. Descriptors are
// ints (a Windows SOCKET value fits: handle values stay within 32 bits); errors are errno values on
// both.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace riosp::test {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
class BsdListener {
public:
    BsdListener();
    ~BsdListener();
    BsdListener(const BsdListener&) = delete;
    BsdListener& operator=(const BsdListener&) = delete;
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    // The next connection's descriptor, or -1 after timeout_ms.
    [[nodiscard]] int accept_one(int timeout_ms) const;

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A blocking connection to 127.0.0.1:port, or -1.
[[nodiscard]] int bsd_connect(std::uint16_t port);

// Reads until EOF, an error or the timeout. Returns 0 on EOF, the errno on error
// (ECONNRESET for a reset), ETIMEDOUT on timeout; the bytes read go to `out`.
[[nodiscard]] int bsd_read_to_end(int fd, std::string& out, int timeout_ms);
// As bsd_read_to_end, but when `reset` becomes true the reading thread itself resets the
// connection (bsd_reset) and keeps reading to the end: a reset issued from another thread
// would race with this thread's recv on the same descriptor.
[[nodiscard]] int bsd_read_to_end_or_reset(int fd, std::string& out, int timeout_ms,
                                           const std::atomic<bool>& reset);
// Reads and discards until EOF into a fixed buffer (no allocation): 0 on EOF, else the errno
// or ETIMEDOUT.
[[nodiscard]] int bsd_drain_to_eof(int fd, int timeout_ms);
// Sends everything; 0 or the errno.
[[nodiscard]] int bsd_send(int fd, const std::string& data);
// Reads exactly n bytes (or fails): 0 or the errno (ECONNRESET, EPIPE, ETIMEDOUT...).
[[nodiscard]] int bsd_read_exact(int fd, std::string& out, std::size_t n, int timeout_ms);
// One non-blocking send: the bytes the kernel took (possibly 0), or -errno.
[[nodiscard]] long bsd_send_some(int fd, const char* data, std::size_t len);
void bsd_shutdown_send(int fd);
void bsd_close(int fd);
// Close with SO_LINGER {1,0}: the other side sees a reset.
void bsd_abort(int fd);
// Reset the connection but keep the descriptor (another thread may still read it): a connect
// to AF_UNSPEC makes Linux drop an established connection with a RST. Windows has no such
// call: there it is only possible where peer_can_reset_in_place() says so (never).
void bsd_reset(int fd);

// Whether an abortive close (SO_LINGER {1,0}) really sends a RST here: yes on Linux and Windows,
// no under Wine 8, which closes such a socket gracefully (tests that need a RST skip there).
[[nodiscard]] bool tcp_resets_work();
// Whether bsd_reset works (Linux only).
[[nodiscard]] bool peer_can_reset_in_place();

} // namespace riosp::test
