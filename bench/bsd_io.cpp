#include "bsd_io.h"

#include "loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace riosp::bench::bsd {
namespace {
[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::abort();
}
void nodelay(int fd) {
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
} // namespace

Listener::Listener(int backlog) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        die("socket");
    int one = 1;
    (void)setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, backlog) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        die("bind/listen");
    port_ = ntohs(addr.sin_port);
}

Listener::~Listener() {
    if (fd_ >= 0)
        close(fd_);
}

int Listener::accept_one(int timeout_ms) const {
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0)
        return -ETIMEDOUT;
    if (r < 0)
        return -errno;
    int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
        return -errno;
    nodelay(fd);
    return fd;
}

int connect_loopback(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    nodelay(fd);
    return fd;
}

int shut(int fd, Shut how) {
    return shutdown(fd, how == Shut::rd ? SHUT_RD : how == Shut::wr ? SHUT_WR : SHUT_RDWR);
}

int close_fd(int fd) {
    return fd >= 0 ? close(fd) : 0;
}

long recv_some(int fd, void* data, std::size_t len) {
    return recv(fd, data, len, 0);
}

int drain_to_eof(int fd) {
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return errno;
    }
}

// One send/receive loop for the whole benchmark binary: loopback.cpp's.
bool send_all(int fd, const void* data, std::size_t len) {
    return riosp::bench::send_all(fd, data, len);
}

bool recv_all(int fd, void* data, std::size_t len) {
    return riosp::bench::recv_all(fd, data, len);
}

bool is_addr_not_avail(int neg_errno) noexcept {
    return neg_errno == -EADDRNOTAVAIL;
}

const char* error_text(int neg_errno) noexcept {
    return std::strerror(-neg_errno);
}

} // namespace riosp::bench::bsd
