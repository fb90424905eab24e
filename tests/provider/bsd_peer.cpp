#include "bsd_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace riosp::test {
namespace {
int wait_in(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms);
}
} // namespace

BsdListener::BsdListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(fd_, 64) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("BsdListener: cannot listen on loopback");
    port_ = ntohs(a.sin_port);
}

BsdListener::~BsdListener() {
    if (fd_ >= 0)
        ::close(fd_);
}

int BsdListener::accept_one(int timeout_ms) const {
    if (wait_in(fd_, timeout_ms) <= 0)
        return -1;
    return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
}

int bsd_connect(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    return fd;
}

int bsd_read_to_end(int fd, std::string& out, int timeout_ms) {
    static const std::atomic<bool> never{false};
    return bsd_read_to_end_or_reset(fd, out, timeout_ms, never);
}

int bsd_read_to_end_or_reset(int fd, std::string& out, int timeout_ms,
                             const std::atomic<bool>& reset) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool reset_done = false;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        if (!reset_done && reset.load(std::memory_order_acquire)) {
            bsd_reset(fd);
            reset_done = true;
        }
        if (wait_in(fd, 10) <= 0)
            continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            return 0;
        if (n < 0)
            return errno;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return ETIMEDOUT;
}

int bsd_drain_to_eof(int fd, int timeout_ms) {
    char buf[4096];
    for (;;) {
        if (wait_in(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            return 0;
        if (n < 0)
            return errno;
    }
}

int bsd_read_exact(int fd, std::string& out, std::size_t n, int timeout_ms) {
    char buf[4096];
    while (out.size() < n) {
        if (wait_in(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got == 0)
            return EPIPE;
        if (got < 0)
            return errno;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return 0;
}

int bsd_send(int fd, const std::string& data) {
    std::size_t at = 0;
    while (at < data.size()) {
        ssize_t n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
        if (n < 0)
            return errno;
        at += static_cast<std::size_t>(n);
    }
    return 0;
}

void bsd_shutdown_send(int fd) {
    ::shutdown(fd, SHUT_WR);
}
void bsd_close(int fd) {
    ::close(fd);
}
void bsd_reset(int fd) {
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    (void)::connect(fd, &unspec, sizeof unspec);
}

void bsd_abort(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

bool tcp_resets_work() {
    return true;
}

bool peer_can_reset_in_place() {
    return true;
}

long bsd_send_some(int fd, const char* data, std::size_t len) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
        return static_cast<long>(n);
    return errno == EAGAIN ? 0 : -errno;
}

} // namespace riosp::test
