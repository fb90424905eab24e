// Neutral-interface BSD-socket helpers for the provider benchmarks: the provider's translation
// units include <riosp/ws.h> (Windows layout), which cannot meet the Linux socket headers, so
// every plain-socket operation they need goes through these functions (ints and enums only).
#pragma once

#include <cstddef>
#include <cstdint>

namespace riosp::bench::bsd {

// A listening socket on 127.0.0.1 with a kernel-chosen port; aborts on failure.
class Listener {
public:
    explicit Listener(int backlog = 1024);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] int fd() const noexcept { return fd_; }
    // The next connection (TCP_NODELAY set), or -errno; -ETIMEDOUT after timeout_ms.
    [[nodiscard]] int accept_one(int timeout_ms = 5000) const;

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A blocking connection to 127.0.0.1:port with TCP_NODELAY, or -errno (-EADDRNOTAVAIL when the
// ephemeral ports are exhausted).
[[nodiscard]] int connect_loopback(std::uint16_t port);

enum class Shut { rd, wr, rdwr };
// shutdown(2) / close(2) / recv(2) / send(2), returning what the system call returns.
int shut(int fd, Shut how);
int close_fd(int fd);
long recv_some(int fd, void* data, std::size_t len);
// Reads into a fixed buffer until EOF: 0 on EOF, else errno (no allocation).
int drain_to_eof(int fd);
// Loops until len bytes moved; false on EOF or error.
[[nodiscard]] bool send_all(int fd, const void* data, std::size_t len);
[[nodiscard]] bool recv_all(int fd, void* data, std::size_t len);

// True for the errno values that mean "no local port left" (EADDRNOTAVAIL).
[[nodiscard]] bool is_addr_not_avail(int neg_errno) noexcept;
[[nodiscard]] const char* error_text(int neg_errno) noexcept;

} // namespace riosp::bench::bsd
