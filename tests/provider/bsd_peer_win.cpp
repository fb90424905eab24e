// bsd_peer.h over Winsock (the Windows provider tests' peer). Errors come back as the errno
// values the Linux peer reports, so the tests compare one set of codes.
#include "bsd_peer.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <cerrno>
#include <chrono>
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

int wait_in(int fd, int timeout_ms) {
    WSAPOLLFD p{};
    p.fd = sock(fd);
    p.events = POLLRDNORM;
    return WSAPoll(&p, 1, timeout_ms);
}

} // namespace

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
    if (wait_in(fd_, timeout_ms) <= 0)
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
        const int n = recv(sock(fd), buf, sizeof buf, 0);
        if (n == 0)
            return 0;
        if (n < 0)
            return last_errno();
        out.append(buf, static_cast<std::size_t>(n));
    }
    return ETIMEDOUT;
}

int bsd_drain_to_eof(int fd, int timeout_ms) {
    char buf[4096];
    for (;;) {
        if (wait_in(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const int n = recv(sock(fd), buf, sizeof buf, 0);
        if (n == 0)
            return 0;
        if (n < 0)
            return last_errno();
    }
}

int bsd_read_exact(int fd, std::string& out, std::size_t n, int timeout_ms) {
    char buf[4096];
    while (out.size() < n) {
        if (wait_in(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const int got =
            recv(sock(fd), buf, static_cast<int>(std::min(sizeof buf, n - out.size())), 0);
        if (got == 0)
            return EPIPE;
        if (got < 0)
            return last_errno();
        out.append(buf, static_cast<std::size_t>(got));
    }
    return 0;
}

int bsd_send(int fd, const std::string& data) {
    std::size_t at = 0;
    while (at < data.size()) {
        const int n = send(sock(fd), data.data() + at, static_cast<int>(data.size() - at), 0);
        if (n < 0)
            return last_errno();
        at += static_cast<std::size_t>(n);
    }
    return 0;
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
