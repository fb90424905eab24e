// bsd_peer.h over Winsock (the Windows provider tests' peer; the loops are bsd_peer.cpp's). Errors
// come back as the errno values the Linux peer reports, so the tests compare one set of codes.
#include "bsd_peer.h"
#include "bsd_peer_os.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cerrno>
#include <stdexcept>

namespace riosp::test {
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
    default:
        return EIO;
    }
}

int last_errno() {
    return errno_of(WSAGetLastError());
}

} // namespace

int peer_wait_in(int fd, int timeout_ms) {
    WSAPOLLFD p{};
    p.fd = sock(fd);
    p.events = POLLRDNORM;
    return WSAPoll(&p, 1, timeout_ms);
}

long peer_recv_once(int fd, char* buf, std::size_t len) {
    const int n = recv(sock(fd), buf, static_cast<int>(len), 0);
    return n < 0 ? -last_errno() : n;
}

long peer_send_once(int fd, const char* data, std::size_t len) {
    const int n = send(sock(fd), data, static_cast<int>(len), 0);
    return n < 0 ? -last_errno() : n;
}

BsdListener::BsdListener() {
    if (!startup())
        throw std::runtime_error("BsdListener: WSAStartup failed");
    const SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof a;
    if (s == INVALID_SOCKET || bind(s, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        listen(s, 64) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("BsdListener: cannot listen on loopback");
    fd_ = to_fd(s);
    port_ = ntohs(a.sin_port);
}

BsdListener::~BsdListener() {
    if (fd_ >= 0)
        closesocket(sock(fd_));
}

int BsdListener::accept_one(int timeout_ms) const {
    if (peer_wait_in(fd_, timeout_ms) <= 0)
        return -1;
    return to_fd(accept(sock(fd_), nullptr, nullptr));
}

int bsd_connect(std::uint16_t port) {
    if (!startup())
        return -1;
    const SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (s == INVALID_SOCKET || connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        if (s != INVALID_SOCKET)
            closesocket(s);
        return -1;
    }
    return to_fd(s);
}

void bsd_shutdown_send(int fd) {
    shutdown(sock(fd), SD_SEND);
}

void bsd_close(int fd) {
    closesocket(sock(fd));
}

void bsd_reset(int) {
    // No Winsock call resets a connection and keeps the socket (peer_can_reset_in_place()).
}

void bsd_abort(int fd) {
    linger l{1, 0};
    setsockopt(sock(fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
    closesocket(sock(fd));
}

bool tcp_resets_work() {
    // Wine's ntdll exports wine_get_version; Wine 8 closes a SO_LINGER {1,0} socket gracefully.
    static const bool wine =
        GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != nullptr;
    return !wine;
}

bool peer_can_reset_in_place() {
    return false;
}

long bsd_send_some(int fd, const char* data, std::size_t len) {
    // One non-blocking send: FIONBIO on for the call, off again (the peer is otherwise blocking).
    u_long on = 1;
    ioctlsocket(sock(fd), FIONBIO, &on);
    const int n = send(sock(fd), data, static_cast<int>(len), 0);
    const int err = n < 0 ? WSAGetLastError() : 0;
    u_long off = 0;
    ioctlsocket(sock(fd), FIONBIO, &off);
    if (n >= 0)
        return n;
    return err == WSAEWOULDBLOCK ? 0 : -errno_of(err);
}

} // namespace riosp::test
