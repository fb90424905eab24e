// The --baseline transport on Linux: the same workload calls over plain BSD sockets (the
// kernel's TCP, no riosp code). Its own translation unit: Linux's socket headers and riosp's
// Windows-layout headers cannot meet in one file. errno values come back as the WSA codes
// Windows would report, so both transports' errors read the same in the summary.
// raw_baseline_win.cpp is the Winsock twin.
#include "os_sockets.h"
#include "sockaddr_convert.h"
#include "transport.h"

#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace riosp::load {
namespace {

int wsa_from_errno(int e) noexcept {
    switch (e) {
    case EINTR:
        return WSAEINTR;
    case EBADF:
        return WSAEBADF;
    case EACCES:
        return WSAEACCES;
    case EFAULT:
        return WSAEFAULT;
    case EINVAL:
        return WSAEINVAL;
    case EMFILE:
    case ENFILE:
        return WSAEMFILE;
    case EAGAIN:
        return WSAEWOULDBLOCK;
    case EINPROGRESS:
        return WSAEINPROGRESS;
    case EALREADY:
        return WSAEALREADY;
    case ENOTSOCK:
        return WSAENOTSOCK;
    case EMSGSIZE:
        return WSAEMSGSIZE;
    case ENOPROTOOPT:
        return WSAENOPROTOOPT;
    case EOPNOTSUPP:
        return WSAEOPNOTSUPP;
    case EAFNOSUPPORT:
        return WSAEAFNOSUPPORT;
    case EADDRINUSE:
        return WSAEADDRINUSE;
    case EADDRNOTAVAIL:
        return WSAEADDRNOTAVAIL;
    case ENETDOWN:
        return WSAENETDOWN;
    case ENETUNREACH:
        return WSAENETUNREACH;
    case ECONNABORTED:
        return WSAECONNABORTED;
    case ECONNRESET:
    case EPIPE:
        return WSAECONNRESET;
    case ENOBUFS:
    case ENOMEM:
        return WSAENOBUFS;
    case EISCONN:
        return WSAEISCONN;
    case ENOTCONN:
        return WSAENOTCONN;
    case ESHUTDOWN:
        return WSAESHUTDOWN;
    case ETIMEDOUT:
        return WSAETIMEDOUT;
    case ECONNREFUSED:
        return WSAECONNREFUSED;
    case EHOSTUNREACH:
        return WSAEHOSTUNREACH;
    default:
        return WSAEINVAL;
    }
}

int last_error() noexcept {
    return wsa_from_errno(errno);
}

socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss) noexcept {
    return static_cast<socklen_t>(
        sockaddr_convert::to_sockaddr<sockaddr_in, sockaddr_in6>(e, ss, AF_INET, AF_INET6));
}

Endpoint from_sockaddr(const sockaddr_storage& ss) noexcept {
    return sockaddr_convert::from_sockaddr<sockaddr_in, sockaddr_in6>(ss, AF_INET6);
}

int fd_of(Sock s) noexcept {
    return static_cast<int>(s);
}

void set_nodelay(int fd) noexcept {
    int on = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// A UDP socket with buffers for a window of 64 KiB datagrams: the default (~208 KiB) drops
// datagrams of a large --window before the peer reads them. Capped by net.core.*mem_max.
int udp_socket(bool v6) noexcept {
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd >= 0) {
        int size = 4 << 20;
        (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    return fd;
}

int local_of(int fd, Endpoint& out) noexcept {
    sockaddr_storage got{};
    socklen_t got_len = sizeof got;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len) != 0)
        return last_error();
    out = from_sockaddr(got);
    return 0;
}

} // namespace

int SystemTransport::start() noexcept {
    return 0; // BSD sockets need no start-up
}

std::uint32_t scope_index(const std::string& name) noexcept {
    return if_nametoindex(name.c_str());
}

SystemTransport SystemTransport::baseline() {
    return SystemTransport{};
}

// No Winsock catalog here: riosp is reached only through its host (RiospTransport).
std::unique_ptr<SystemTransport> SystemTransport::installed_riosp() {
    return nullptr;
}

std::uint32_t SystemTransport::entry_id(bool, bool) const noexcept {
    return 0;
}

const char* SystemTransport::name() const noexcept {
    return "bsd";
}

int SystemTransport::listen(const Endpoint& at, Sock& out, Endpoint& bound) noexcept {
    int fd = ::socket(at.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return last_error();
    int on = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(at, ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 4096) != 0) {
        int err = last_error();
        ::close(fd);
        return err;
    }
    bound = at;
    sockaddr_storage got{};
    socklen_t got_len = sizeof got;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len) == 0)
        bound.port =
            ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
    out = static_cast<Sock>(fd);
    return 0;
}

int SystemTransport::accept(Sock listener, Sock& out) noexcept {
    int fd = -1;
    do {
        fd = ::accept4(fd_of(listener), nullptr, nullptr, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return last_error();
    set_nodelay(fd);
    out = static_cast<Sock>(fd);
    return 0;
}

int SystemTransport::connect(const Endpoint& to, Sock& out) noexcept {
    int fd = ::socket(to.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return last_error();
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(to, ss);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int err = last_error();
        ::close(fd);
        return err;
    }
    set_nodelay(fd);
    out = static_cast<Sock>(fd);
    return 0;
}

int SystemTransport::send(Sock s, const void* data, std::size_t len, std::size_t& done) noexcept {
    ssize_t n = -1;
    do {
        n = ::send(fd_of(s), data, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        done = 0;
        return last_error();
    }
    done = static_cast<std::size_t>(n);
    return 0;
}

int SystemTransport::recv(Sock s, void* data, std::size_t len, std::size_t& done) noexcept {
    ssize_t n = -1;
    do {
        n = ::recv(fd_of(s), data, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        done = 0;
        return last_error();
    }
    done = static_cast<std::size_t>(n);
    return 0;
}

int SystemTransport::send_disconnect(Sock s) noexcept {
    return ::shutdown(fd_of(s), SHUT_WR) == 0 ? 0 : last_error();
}

int SystemTransport::set_abortive(Sock s) noexcept {
    ::linger l{1, 0};
    return ::setsockopt(fd_of(s), SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0 ? 0 : last_error();
}

int SystemTransport::close(Sock s) noexcept {
    return ::close(fd_of(s)) == 0 ? 0 : last_error();
}

// ---------------------------------------------------------------- UDP
namespace {
// A UDP socket bound to `at` (bind) or connected to it: 0 with the socket and its local address.
int udp_open(const Endpoint& at, bool connect, Sock& out, Endpoint& local) noexcept {
    int fd = udp_socket(at.v6);
    if (fd < 0)
        return last_error();
    sockaddr_storage ss{};
    socklen_t len = to_sockaddr(at, ss);
    const auto* name = reinterpret_cast<sockaddr*>(&ss);
    int err = (connect ? ::connect(fd, name, len) : ::bind(fd, name, len)) != 0 ? last_error() : 0;
    if (err == 0)
        err = local_of(fd, local);
    if (err != 0) {
        ::close(fd);
        return err;
    }
    out = static_cast<Sock>(fd);
    return 0;
}
} // namespace

int SystemTransport::udp_bind(const Endpoint& at, Sock& out, Endpoint& bound) noexcept {
    return udp_open(at, false, out, bound);
}

int SystemTransport::udp_connect(const Endpoint& to, Sock& out, Endpoint& local) noexcept {
    return udp_open(to, true, out, local);
}

int SystemTransport::send_to(Sock s, const void* data, std::size_t len, const Endpoint& to,
                             std::size_t& done) noexcept {
    sockaddr_storage ss{};
    socklen_t ss_len = to_sockaddr(to, ss);
    ssize_t n = -1;
    do {
        n = ::sendto(fd_of(s), data, len, MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss), ss_len);
    } while (n < 0 && errno == EINTR);
    done = n < 0 ? 0 : static_cast<std::size_t>(n);
    return n < 0 ? last_error() : 0;
}

int SystemTransport::recv_from(Sock s, void* data, std::size_t len, Endpoint& from,
                               std::size_t& done) noexcept {
    sockaddr_storage ss{};
    socklen_t ss_len = sizeof ss;
    ssize_t n = -1;
    do {
        n = ::recvfrom(fd_of(s), data, len, 0, reinterpret_cast<sockaddr*>(&ss), &ss_len);
    } while (n < 0 && errno == EINTR);
    done = n < 0 ? 0 : static_cast<std::size_t>(n);
    if (n < 0)
        return last_error();
    from = from_sockaddr(ss);
    return 0;
}

} // namespace riosp::load
