// Connection setup: WSPSocket, WSPBind, WSPListen, WSPAccept, WSPConnect and the two name
// queries. Blocking variants wait on the calling thread (never a worker): an accept in its own
// kernel wait (rio/caller.h, interrupted by a concurrent WSPCloseSocket), a connect in short
// slices so that a concurrent WSPCloseSocket is noticed.
#include "caller_wait.h"
#include "catalog.h"
#include "data_path.h"
#include "provider_state.h"
#include "socket.h"
#include "upcalls.h"
#include "watcher.h"
#include "worker.h"
#include "wsp.h"

#include <rio/net.h>

#include <cstring>

namespace riosp::provider {
namespace {

constexpr int wait_slice_ms = 50;
// Windows' "use the values from the protocol info" marker for WSPSocket's af/type/protocol.
constexpr int from_protocol_info = -1;

// Prepares a socket object for a new life; its registered memory (if any) is kept.
void reset_socket(Socket& s, int family, rio::net::NativeSocket fd) noexcept {
    s.handle = INVALID_SOCKET;
    s.family = family;
    s.fd = fd;
    s.role = Role::fresh;
    s.non_blocking = false;
    s.linger_on = false;
    s.linger_seconds = 0;
    s.so_error = 0;
    s.state.reinitialize(HalfCloseState::unconnected());
    s.send_ring.reset(send_ring_bytes);
    s.recv_ring.reset(recv_ring_bytes);
    s.send_in_flight = 0;
    s.recv_in_flight = false;
    s.ring_counted = false;
    s.eof_seen = false;
    s.io_in_flight = 0;
    s.releasing = false;
    s.abortive = false;
    s.app_rio = false;
    s.app_rq = RIO_INVALID_RQ;
    while (!s.recv_ops.empty())
        s.recv_ops.pop();
    while (!s.send_ops.empty())
        s.send_ops.pop();
    s.event = nullptr;
    s.event_mask = 0;
    s.events_pending = 0;
    s.event_errors = {};
    s.caller_waits = nullptr;
    s.write_blocked = false;
    s.fd_close_raised = false;
}

// Wraps a kernel socket in a provider socket and an application handle.
SOCKET adopt(int family, rio::net::NativeSocket fd, const WSAPROTOCOL_INFOW& proto, Socket*& out,
             LPINT lpErrno) {
    Socket* s = socket_table().acquire();
    if (s == nullptr) {
        rio::net::close(fd, true);
        fail(lpErrno, WSAEMFILE);
        return INVALID_SOCKET;
    }
    {
        std::lock_guard lock(s->mutex);
        reset_socket(*s, family, fd);
        s->worker = &worker_pool().assign();
    }
    int err = 0;
    SOCKET h = upcalls().lpWPUCreateSocketHandle(proto.dwCatalogEntryId,
                                                 SocketTable::context_of(*s), &err);
    if (h == INVALID_SOCKET) {
        SocketTable::retire(*s);
        rio::net::close(fd, true);
        socket_table().recycle(s);
        fail(lpErrno, err != 0 ? err : WSAENOBUFS);
        return INVALID_SOCKET;
    }
    s->handle = h;
    out = s;
    return h;
}

// Connected: attach the rings and tell the state machine.
int become_connected(Socket& s, SocketLock& lock) noexcept {
    s.role = Role::connected;
    (void)s.state.apply(HalfCloseEvent::connect_established);
    return attach_data_path(s, lock);
}

} // namespace

SOCKET WSPAPI WSPSocket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                        DWORD dwFlags, LPINT lpErrno) {
    (void)dwFlags; // overlapped is always supported; RIO needs nothing more from the flags
    if (!started())
        return static_cast<SOCKET>(fail(lpErrno, WSANOTINITIALISED));
    if (lpProtocolInfo != nullptr) {
        if (af == from_protocol_info || af == 0)
            af = lpProtocolInfo->iAddressFamily;
        if (type == from_protocol_info || type == 0)
            type = lpProtocolInfo->iSocketType;
        if (protocol == from_protocol_info)
            protocol = lpProtocolInfo->iProtocol;
    }
    if (af != AF_INET && af != AF_INET6)
        return static_cast<SOCKET>(fail(lpErrno, WSAEAFNOSUPPORT));
    if (type != SOCK_STREAM)
        return static_cast<SOCKET>(fail(lpErrno, WSAESOCKTNOSUPPORT));
    if (protocol != 0 && protocol != IPPROTO_TCP)
        return static_cast<SOCKET>(fail(lpErrno, WSAEPROTONOSUPPORT));
    if (g != 0) // socket groups are not supported
        return static_cast<SOCKET>(fail(lpErrno, WSAEINVAL));
    const WSAPROTOCOL_INFOW* proto = find_protocol(af, type, protocol);
    if (proto == nullptr)
        return static_cast<SOCKET>(fail(lpErrno, WSAEPROTONOSUPPORT));
    rio::net::NativeSocket fd = rio::net::invalid_socket;
    if (int err = rio::net::open_tcp(af, fd))
        return static_cast<SOCKET>(fail(lpErrno, err));
    Socket* s = nullptr;
    return adopt(af, fd, *proto, s, lpErrno);
}

int WSPAPI WSPBind(SOCKET s, const sockaddr* name, int namelen, LPINT lpErrno) {
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (name == nullptr)
        return fail(lpErrno, WSAEFAULT);
    if (name->sa_family != sock->family)
        return fail(lpErrno, WSAEFAULT);
    std::lock_guard lock(sock->mutex);
    if (int err = rio::net::bind(sock->fd, name, namelen))
        return fail(lpErrno, err);
    return 0;
}

int WSPAPI WSPListen(SOCKET s, int backlog, LPINT lpErrno) {
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (sock->role == Role::connected || sock->role == Role::connecting)
        return fail(lpErrno, WSAEISCONN);
    if (backlog <= 0 || backlog > 4096)
        backlog = 4096;
    if (int err = rio::net::listen(sock->fd, backlog))
        return fail(lpErrno, err);
    HalfCloseResult r = sock->state.apply(HalfCloseEvent::listen);
    if (!r.ok())
        return fail(lpErrno, r.error);
    sock->role = Role::listening;
    if (sock->event_mask & FD_ACCEPT)
        watcher().watch(*sock);
    return 0;
}

SOCKET WSPAPI WSPAccept(SOCKET s, sockaddr* addr, LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                        DWORD_PTR dwCallbackData, LPINT lpErrno) {
    Socket* listener = lookup(s, lpErrno);
    if (listener == nullptr)
        return INVALID_SOCKET;
    if (addr != nullptr && (addrlen == nullptr || *addrlen < static_cast<int>(sizeof(sockaddr_in))))
        return static_cast<SOCKET>(fail(lpErrno, WSAEFAULT));
    rio::net::NativeSocket fd = rio::net::invalid_socket;
    sockaddr_storage peer{};
    int peer_len = sizeof peer;
    for (;;) {
        SocketLock lock(listener->mutex);
        if (!listener->live.load(std::memory_order_acquire))
            return static_cast<SOCKET>(fail(lpErrno, WSAEINTR)); // closed while we waited
        if (listener->role != Role::listening)
            return static_cast<SOCKET>(fail(lpErrno, WSAEINVAL));
        int err = rio::net::accept(listener->fd, fd, &peer, &peer_len);
        if (err == 0) {
            if (listener->event_mask & FD_ACCEPT)
                watcher().watch(*listener); // more may be pending: re-arm FD_ACCEPT
            break;
        }
        if (err != WSAEWOULDBLOCK || listener->non_blocking) {
            if (err == WSAEWOULDBLOCK && (listener->event_mask & FD_ACCEPT))
                watcher().watch(*listener);
            return static_cast<SOCKET>(fail(lpErrno, err));
        }
        // Blocking: wait in this thread's own kernel wait, one thread woken per connection.
        // Counted as the listener's outstanding I/O, so a close interrupts it and releases the
        // listener only after it has left the kernel.
        if (!listener->state.apply(HalfCloseEvent::begin_io).ok())
            return static_cast<SOCKET>(fail(lpErrno, WSAEINTR));
        CallerWait w;
        enter_caller_wait(*listener, w);
        const rio::net::NativeSocket lfd = listener->fd;
        lock.unlock();
        peer_len = sizeof peer;
        err = rio::caller::accept(lfd, fd, &peer, &peer_len, w.wait);
        lock.lock();
        apply_and_act(*listener, HalfCloseEvent::io_done);
        leave_caller_wait(*listener, w);
        if (err == 0) {
            if (listener->event_mask & FD_ACCEPT)
                watcher().watch(*listener);
            break;
        }
        if (err != WSAEWOULDBLOCK)
            return static_cast<SOCKET>(fail(lpErrno, err));
    }
    if (lpfnCondition != nullptr) {
        WSABUF caller_id{static_cast<ULONG>(peer_len), reinterpret_cast<char*>(&peer)};
        GROUP g = 0;
        int verdict = lpfnCondition(&caller_id, nullptr, nullptr, nullptr, nullptr, nullptr, &g,
                                    dwCallbackData);
        if (verdict != CF_ACCEPT) {
            rio::net::close(fd, true);
            return static_cast<SOCKET>(
                fail(lpErrno, verdict == CF_REJECT ? WSAECONNREFUSED : WSAEINVAL));
        }
    }
    const WSAPROTOCOL_INFOW* proto = find_protocol(listener->family, SOCK_STREAM, IPPROTO_TCP);
    Socket* sock = nullptr;
    SOCKET h = adopt(listener->family, fd, *proto, sock, lpErrno);
    if (h == INVALID_SOCKET)
        return INVALID_SOCKET;
    // An accepted socket inherits the listener's blocking mode and event selection. Read
    // them before locking the new socket: socket objects are recycled across roles, so
    // holding two socket locks at once would order them differently in different lives.
    bool non_blocking = false;
    WSAEVENT event = nullptr;
    LONG event_mask = 0;
    {
        std::lock_guard llock(listener->mutex);
        non_blocking = listener->non_blocking;
        event = listener->event;
        event_mask = listener->event_mask;
    }
    SocketLock lock(sock->mutex);
    sock->non_blocking = non_blocking;
    sock->event = event;
    sock->event_mask = event_mask;
    if (int err = become_connected(*sock, lock)) {
        lock.unlock();
        int ignored = 0;
        (void)WSPCloseSocket(h, &ignored);
        return static_cast<SOCKET>(fail(lpErrno, err));
    }
    if (addr != nullptr) {
        int need = peer_len;
        if (*addrlen < need) {
            lock.unlock();
            int ignored = 0;
            (void)WSPCloseSocket(h, &ignored);
            return static_cast<SOCKET>(fail(lpErrno, WSAEFAULT));
        }
        std::memcpy(addr, &peer, static_cast<std::size_t>(need));
        *addrlen = need;
    }
    return h;
}

int WSPAPI WSPConnect(SOCKET s, const sockaddr* name, int namelen, LPWSABUF lpCallerData,
                      LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS, LPINT lpErrno) {
    (void)lpCalleeData;
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (name == nullptr)
        return fail(lpErrno, WSAEFAULT);
    if (lpSQOS != nullptr || lpGQOS != nullptr)
        return fail(lpErrno, WSAEOPNOTSUPP); // no QOS provider
    if (lpCallerData != nullptr && lpCallerData->len > 0)
        return fail(lpErrno,
                    WSAENOPROTOOPT); // TCP carries no connect data (XP1_CONNECT_DATA clear)
    SocketLock lock(sock->mutex);
    switch (sock->role) {
    case Role::connected:
        return fail(lpErrno, WSAEISCONN);
    case Role::listening:
        return fail(lpErrno, WSAEINVAL);
    case Role::connecting:
        return fail(lpErrno, WSAEALREADY);
    case Role::fresh:
        break;
    }
    int err = rio::net::connect(sock->fd, name, namelen);
    if (err == 0)
        return become_connected(*sock, lock) == 0 ? 0 : fail(lpErrno, WSAENOBUFS);
    if (err != WSAEWOULDBLOCK)
        return fail(lpErrno, err);
    sock->role = Role::connecting;
    if (sock->non_blocking) {
        watcher().watch(*sock); // FD_CONNECT / FD_WRITE when it completes
        return fail(lpErrno, WSAEWOULDBLOCK);
    }
    for (;;) {
        rio::net::NativeSocket fd = sock->fd;
        lock.unlock();
        int wait = rio::net::wait_writable(fd, wait_slice_ms);
        lock.lock();
        if (!sock->live.load(std::memory_order_acquire))
            return fail(lpErrno, WSAEINTR);
        if (sock->role != Role::connecting) // the watcher finished it
            return sock->role == Role::connected ? 0 : fail(lpErrno, sock->so_error);
        if (wait == 0)
            break;
    }
    if (int result = finish_connect(*sock, lock))
        return fail(lpErrno, result);
    return 0;
}

int finish_connect(Socket& s, SocketLock& lock) noexcept {
    int result = rio::net::connect_result(s.fd);
    if (result != 0) {
        s.role = Role::fresh;
        s.so_error = result;
        raise_event(s, FD_CONNECT_BIT, result);
        return result;
    }
    int err = become_connected(s, lock);
    raise_event(s, FD_CONNECT_BIT, err);
    if (err == 0)
        raise_event(s, FD_WRITE_BIT, 0);
    return err;
}

int WSPAPI WSPGetSockName(SOCKET s, sockaddr* name, LPINT namelen, LPINT lpErrno) {
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (int err = rio::net::local_name(sock->fd, name, namelen))
        return fail(lpErrno, err);
    // An unbound socket has no name on Windows (sin_port and sin6_port share offset 2).
    if (reinterpret_cast<sockaddr_in*>(name)->sin_port == 0 && sock->role == Role::fresh)
        return fail(lpErrno, WSAEINVAL);
    return 0;
}

int WSPAPI WSPGetPeerName(SOCKET s, sockaddr* name, LPINT namelen, LPINT lpErrno) {
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (sock->role != Role::connected)
        return fail(lpErrno, WSAENOTCONN);
    if (int err = rio::net::peer_name(sock->fd, name, namelen))
        return fail(lpErrno, err);
    return 0;
}

} // namespace riosp::provider
