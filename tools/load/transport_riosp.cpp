// The workload's socket calls over riosp: the Winsock 2 API of riosp's host (<riosp/ws.h>), which
// loads the provider on WSAStartup. Blocking sockets; every failure comes back as its WSA code.
// Every call is spelled ws::: on Windows <winsock2.h> declares the same names globally, and
// argument-dependent lookup would find both.
#include "sockaddr_convert.h"
#include "transport.h"

#include <riosp/ws.h>

#include <cstring>

namespace riosp::load {
namespace {

int to_sockaddr(const Endpoint& e, sockaddr_storage& ss) noexcept {
    return static_cast<int>(
        sockaddr_convert::to_sockaddr<sockaddr_in, sockaddr_in6>(e, ss, AF_INET, AF_INET6));
}

Endpoint from_sockaddr(const sockaddr_storage& ss) noexcept {
    return sockaddr_convert::from_sockaddr<sockaddr_in, sockaddr_in6>(ss, AF_INET6);
}

int last_error() noexcept {
    int e = ws::WSAGetLastError();
    return e != 0 ? e : WSAEINVAL;
}

SOCKET as_socket(Sock s) noexcept {
    return static_cast<SOCKET>(s);
}

// A UDP socket with buffers for a window of 64 KiB datagrams (best effort: a provider that keeps
// its own ring sizes may refuse the option; the run then shows any drops as lost datagrams).
SOCKET udp_socket(bool v6) noexcept {
    SOCKET s = ws::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s != INVALID_SOCKET) {
        int size = 4 << 20;
        (void)ws::setsockopt(s, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&size),
                             sizeof size);
        (void)ws::setsockopt(s, SOL_SOCKET, SO_SNDBUF, reinterpret_cast<const char*>(&size),
                             sizeof size);
    }
    return s;
}

int local_of(SOCKET s, Endpoint& out) noexcept {
    sockaddr_storage got{};
    int got_len = sizeof got;
    if (ws::getsockname(s, reinterpret_cast<sockaddr*>(&got), &got_len) != 0)
        return last_error();
    out = from_sockaddr(got);
    return 0;
}

} // namespace

int RiospTransport::start() noexcept {
    WSADATA data{};
    return ws::WSAStartup(MAKEWORD(2, 2), &data);
}

void RiospTransport::stop() noexcept {
    (void)ws::WSACleanup();
}

int RiospTransport::listen(const Endpoint& at, Sock& out, Endpoint& bound) noexcept {
    SOCKET s = ws::socket(at.v6 ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    int len = to_sockaddr(at, ss);
    BOOL on = TRUE;
    (void)ws::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&on),
                         sizeof on);
    if (ws::bind(s, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ||
        ws::listen(s, SOMAXCONN) != 0) {
        int err = last_error();
        (void)ws::closesocket(s);
        return err;
    }
    sockaddr_storage got{};
    int got_len = sizeof got;
    bound = at;
    if (ws::getsockname(s, reinterpret_cast<sockaddr*>(&got), &got_len) == 0) {
        USHORT net_port = got.ss_family == AF_INET6
                              ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                              : reinterpret_cast<sockaddr_in*>(&got)->sin_port;
        bound.port = sockaddr_convert::swap16(net_port);
    }
    out = static_cast<Sock>(s);
    return 0;
}

int RiospTransport::accept(Sock listener, Sock& out) noexcept {
    SOCKET s = ws::accept(as_socket(listener), nullptr, nullptr);
    if (s == INVALID_SOCKET)
        return last_error();
    DWORD on = 1;
    (void)ws::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on),
                         sizeof on);
    out = static_cast<Sock>(s);
    return 0;
}

int RiospTransport::connect(const Endpoint& to, Sock& out) noexcept {
    SOCKET s = ws::socket(to.v6 ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    int len = to_sockaddr(to, ss);
    if (ws::connect(s, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        int err = last_error();
        (void)ws::closesocket(s);
        return err;
    }
    DWORD on = 1;
    (void)ws::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on),
                         sizeof on);
    out = static_cast<Sock>(s);
    return 0;
}

int RiospTransport::send(Sock s, const void* data, std::size_t len, std::size_t& done) noexcept {
    int n = ws::send(as_socket(s), static_cast<const char*>(data), static_cast<int>(len), 0);
    if (n == SOCKET_ERROR) {
        done = 0;
        return last_error();
    }
    done = static_cast<std::size_t>(n);
    return 0;
}

int RiospTransport::recv(Sock s, void* data, std::size_t len, std::size_t& done) noexcept {
    int n = ws::recv(as_socket(s), static_cast<char*>(data), static_cast<int>(len), 0);
    if (n == SOCKET_ERROR) {
        done = 0;
        return last_error();
    }
    done = static_cast<std::size_t>(n);
    return 0;
}

int RiospTransport::send_disconnect(Sock s) noexcept {
    return ws::WSASendDisconnect(as_socket(s), nullptr) == 0 ? 0 : last_error();
}

int RiospTransport::set_abortive(Sock s) noexcept {
    linger l{1, 0};
    return ws::setsockopt(as_socket(s), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l),
                          sizeof l) == 0
               ? 0
               : last_error();
}

int RiospTransport::close(Sock s) noexcept {
    return ws::closesocket(as_socket(s)) == 0 ? 0 : last_error();
}

// ---------------------------------------------------------------- UDP
int RiospTransport::udp_bind(const Endpoint& at, Sock& out, Endpoint& bound) noexcept {
    SOCKET s = udp_socket(at.v6);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    int len = to_sockaddr(at, ss);
    int err = ws::bind(s, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ? last_error() : 0;
    if (err == 0)
        err = local_of(s, bound);
    if (err != 0) {
        (void)ws::closesocket(s);
        return err;
    }
    out = static_cast<Sock>(s);
    return 0;
}

int RiospTransport::udp_connect(const Endpoint& to, Sock& out, Endpoint& local) noexcept {
    SOCKET s = udp_socket(to.v6);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    int len = to_sockaddr(to, ss);
    int err = ws::connect(s, reinterpret_cast<const sockaddr*>(&ss), len) != 0 ? last_error() : 0;
    if (err == 0)
        err = local_of(s, local);
    if (err != 0) {
        (void)ws::closesocket(s);
        return err;
    }
    out = static_cast<Sock>(s);
    return 0;
}

int RiospTransport::send_to(Sock s, const void* data, std::size_t len, const Endpoint& to,
                            std::size_t& done) noexcept {
    sockaddr_storage ss{};
    int ss_len = to_sockaddr(to, ss);
    int n = ws::sendto(as_socket(s), static_cast<const char*>(data), static_cast<int>(len), 0,
                       reinterpret_cast<const sockaddr*>(&ss), ss_len);
    done = n == SOCKET_ERROR ? 0 : static_cast<std::size_t>(n);
    return n == SOCKET_ERROR ? last_error() : 0;
}

int RiospTransport::recv_from(Sock s, void* data, std::size_t len, Endpoint& from,
                              std::size_t& done) noexcept {
    sockaddr_storage ss{};
    int ss_len = sizeof ss;
    int n = ws::recvfrom(as_socket(s), static_cast<char*>(data), static_cast<int>(len), 0,
                         reinterpret_cast<sockaddr*>(&ss), &ss_len);
    done = n == SOCKET_ERROR ? 0 : static_cast<std::size_t>(n);
    if (n == SOCKET_ERROR)
        return last_error();
    from = from_sockaddr(ss);
    return 0;
}

} // namespace riosp::load
