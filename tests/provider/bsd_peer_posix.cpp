// bsd_peer.h over Linux BSD sockets (the loops are bsd_peer.cpp's).
#include "bsd_peer.h"
#include "bsd_peer_os.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace riosp::test {
int peer_wait_in(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms);
}

long peer_recv_once(int fd, char* buf, std::size_t len) {
    const ssize_t n = ::recv(fd, buf, len, 0);
    return n < 0 ? -errno : static_cast<long>(n);
}

long peer_send_once(int fd, const char* data, std::size_t len) {
    const ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    return n < 0 ? -errno : static_cast<long>(n);
}

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
    if (peer_wait_in(fd_, timeout_ms) <= 0)
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
