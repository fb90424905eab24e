// bsd_peer.h over Winsock (the Windows provider tests' peer; the loops are bsd_peer.cpp's). Errors
// come back as the errno values the Linux peer reports, so the tests compare one set of codes.
#include "bsd_peer.h"
#include "bsd_peer_os.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cerrno>
#include <stdexcept>

namespace riosp::bsd {
namespace {

SOCKET sock(int fd) {
    return static_cast<SOCKET>(static_cast<unsigned>(fd));
}

int to_fd(SOCKET s) {
    return s == INVALID_SOCKET || s > 0x7FFFFFFF ? -1 : static_cast<int>(s);
}

bool startup() {
    static const bool ok = [] {
        WSADATA data;
        return WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }();
    return ok;
}

int errno_of(int wsa) {
    switch (wsa) {
    case WSAECONNRESET:
    case WSAECONNABORTED:
        return ECONNRESET;
    case WSAETIMEDOUT:
        return ETIMEDOUT;
    case WSAESHUTDOWN:
        return EPIPE;
    case WSAEWOULDBLOCK:
        return EAGAIN;
    case WSAENOTSOCK:
        return EBADF;
    case WSAEADDRNOTAVAIL:
        return EADDRNOTAVAIL;
    case WSAECONNREFUSED:
        return ECONNREFUSED;
    default:
        return EIO;
    }
}

int last_errno() {
    return errno_of(WSAGetLastError());
}

void set_nodelay(SOCKET s) {
    const BOOL one = TRUE;
    (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
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
    WSAPOLLFD p{};
    p.fd = sock(fd);
    p.events = POLLRDNORM;
    return WSAPoll(&p, 1, timeout_ms);
}

long recv_some(int fd, void* data, std::size_t len) {
    const int n = recv(sock(fd), static_cast<char*>(data), static_cast<int>(len), 0);
    return n < 0 ? -last_errno() : n;
}

long send_once(int fd, const void* data, std::size_t len) {
    const int n = send(sock(fd), static_cast<const char*>(data), static_cast<int>(len), 0);
    return n < 0 ? -last_errno() : n;
}

long send_now(int fd, const void* data, std::size_t len) {
    // FIONBIO on for the one send, off again (the peer's sockets are otherwise blocking).
    u_long on = 1;
    ioctlsocket(sock(fd), FIONBIO, &on);
    const int n = send(sock(fd), static_cast<const char*>(data), static_cast<int>(len), 0);
    const int err = n < 0 ? WSAGetLastError() : 0;
    u_long off = 0;
    ioctlsocket(sock(fd), FIONBIO, &off);
    if (n >= 0)
        return n;
    return err == WSAEWOULDBLOCK ? 0 : -errno_of(err);
}

Listener::Listener(int backlog) {
    if (!startup())
        throw std::runtime_error("bsd::Listener: WSAStartup failed");
    // No SO_REUSEADDR: on Windows it would let another socket take over a port in use.
    const SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a = loopback(0);
    int len = sizeof a;
    if (s == INVALID_SOCKET || bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        listen(s, backlog) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (s != INVALID_SOCKET)
            closesocket(s);
        throw std::runtime_error("bsd::Listener: cannot listen on loopback");
    }
    fd_ = to_fd(s);
    port_ = ntohs(a.sin_port);
}

Listener::~Listener() {
    if (fd_ >= 0)
        closesocket(sock(fd_));
}

int Listener::accept_one(int timeout_ms) const {
    const int ready = wait_readable(fd_, timeout_ms);
    if (ready == 0)
        return -ETIMEDOUT;
    if (ready < 0)
        return -last_errno();
    const SOCKET s = accept(sock(fd_), nullptr, nullptr);
    if (s == INVALID_SOCKET)
        return -last_errno();
    set_nodelay(s);
    return to_fd(s);
}

int connect_loopback(std::uint16_t port) {
    if (!startup())
        return -EIO;
    const SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return -last_errno();
    const sockaddr_in a = loopback(port);
    if (connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        const int err = last_errno();
        closesocket(s);
        return -err;
    }
    set_nodelay(s);
    return to_fd(s);
}

int shut(int fd, Shut how) {
    const int h = how == Shut::rd ? SD_RECEIVE : how == Shut::wr ? SD_SEND : SD_BOTH;
    return shutdown(sock(fd), h) == 0 ? 0 : last_errno();
}

int close_socket(int fd) {
    if (fd < 0)
        return 0;
    return closesocket(sock(fd)) == 0 ? 0 : last_errno();
}

void close_abortive(int fd) {
    const linger l{1, 0};
    setsockopt(sock(fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
    closesocket(sock(fd));
}

void reset_in_place(int) {
    // No Winsock call resets a connection and keeps the socket (can_reset_in_place()).
}

namespace {
bool under_wine() {
    // Wine's ntdll exports wine_get_version.
    static const bool wine =
        GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != nullptr;
    return wine;
}
} // namespace

bool tcp_resets_work() {
    return !under_wine(); // Wine 8 closes a SO_LINGER {1,0} socket gracefully
}

bool udp_icmp_errors_reported() {
    return !under_wine(); // Wine 8 drops them: the receive just times out
}

bool can_reset_in_place() {
    return false;
}

int udp_open_loopback(std::uint16_t& port) {
    if (!startup())
        return -EIO;
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s == INVALID_SOCKET)
        return -last_errno();
    sockaddr_in a = loopback(0);
    int len = sizeof a;
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int err = last_errno();
        closesocket(s);
        return -err;
    }
    port = ntohs(a.sin_port);
    return to_fd(s);
}

int udp_connect(int fd, std::uint16_t port) {
    sockaddr_in a = loopback(port);
    return connect(sock(fd), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : last_errno();
}

long udp_send(int fd, std::uint16_t port, const void* data, std::size_t len) {
    sockaddr_in a = loopback(port);
    const int n = port == 0
                      ? send(sock(fd), static_cast<const char*>(data), static_cast<int>(len), 0)
                      : sendto(sock(fd), static_cast<const char*>(data), static_cast<int>(len), 0,
                               reinterpret_cast<sockaddr*>(&a), sizeof a);
    return n < 0 ? -last_errno() : static_cast<long>(n);
}

long udp_recv(int fd, void* data, std::size_t len, int timeout_ms, std::uint16_t* from_port) {
    const int ready = wait_readable(fd, timeout_ms);
    if (ready <= 0)
        return ready == 0 ? -ETIMEDOUT : -last_errno();
    sockaddr_in from{};
    int from_len = sizeof from;
    const int n = recvfrom(sock(fd), static_cast<char*>(data), static_cast<int>(len), 0,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) // Windows reports an ICMP port-unreachable on UDP as WSAECONNRESET
        return WSAGetLastError() == WSAECONNRESET ? -ECONNREFUSED : -last_errno();
    if (from_port != nullptr)
        *from_port = ntohs(from.sin_port);
    return n;
}

} // namespace riosp::bsd
