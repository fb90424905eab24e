// bsd_peer.h over Linux sockets (the loops are bsd_peer.cpp's).
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

namespace riosp::bsd {
namespace {

void set_nodelay(int fd) {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

} // namespace

int wait_readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms);
}

long recv_some(int fd, void* data, std::size_t len) {
    ssize_t n = -1;
    do {
        n = ::recv(fd, data, len, 0);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : static_cast<long>(n);
}

long send_once(int fd, const void* data, std::size_t len) {
    ssize_t n = -1;
    do {
        n = ::send(fd, data, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : static_cast<long>(n);
}

long send_now(int fd, const void* data, std::size_t len) {
    const ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
        return static_cast<long>(n);
    return errno == EAGAIN ? 0 : -errno;
}

Listener::Listener(int backlog) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error("bsd::Listener: no socket");
    // Lets a benchmark's many short connections reuse a port still in TIME_WAIT on this side.
    const int one = 1;
    (void)::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, backlog) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd_);
        throw std::runtime_error("bsd::Listener: cannot listen on loopback");
    }
    port_ = ntohs(a.sin_port);
}

Listener::~Listener() {
    ::close(fd_);
}

int Listener::accept_one(int timeout_ms) const {
    const int ready = wait_readable(fd_, timeout_ms);
    if (ready == 0)
        return -ETIMEDOUT;
    if (ready < 0)
        return -errno;
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
        return -errno;
    set_nodelay(fd);
    return fd;
}

int connect_loopback(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    const sockaddr_in a = loopback(port);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        const int err = errno;
        ::close(fd);
        return -err;
    }
    set_nodelay(fd);
    return fd;
}

int shut(int fd, Shut how) {
    const int h = how == Shut::rd ? SHUT_RD : how == Shut::wr ? SHUT_WR : SHUT_RDWR;
    return ::shutdown(fd, h) == 0 ? 0 : errno;
}

int close_socket(int fd) {
    if (fd < 0)
        return 0;
    return ::close(fd) == 0 ? 0 : errno;
}

void close_abortive(int fd) {
    const linger l{1, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

void reset_in_place(int fd) {
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    (void)::connect(fd, &unspec, sizeof unspec);
}

bool tcp_resets_work() {
    return true;
}

bool can_reset_in_place() {
    return true;
}

int udp_open_loopback(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0)
        return -errno;
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int err = errno;
        ::close(fd);
        return -err;
    }
    port = ntohs(a.sin_port);
    return fd;
}

int udp_connect(int fd, std::uint16_t port) {
    sockaddr_in a = loopback(port);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
}

long udp_send(int fd, std::uint16_t port, const void* data, std::size_t len) {
    sockaddr_in a = loopback(port);
    const ssize_t n = port == 0
                          ? ::send(fd, data, len, 0)
                          : ::sendto(fd, data, len, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return n < 0 ? -errno : static_cast<long>(n);
}

long udp_recv(int fd, void* data, std::size_t len, int timeout_ms, std::uint16_t* from_port) {
    const int ready = wait_readable(fd, timeout_ms);
    if (ready <= 0)
        return ready == 0 ? -ETIMEDOUT : -errno;
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n =
        ::recvfrom(fd, data, len, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0)
        return -errno;
    if (from_port != nullptr)
        *from_port = ntohs(from.sin_port);
    return static_cast<long>(n);
}

bool udp_icmp_errors_reported() {
    return true;
}

} // namespace riosp::bsd
