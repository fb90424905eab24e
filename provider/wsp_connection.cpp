// Connection setup: WSPSocket, WSPBind, WSPListen, WSPAccept, WSPConnect and the two name
// queries. Blocking variants wait on the calling thread (never a worker): an accept in its own
// kernel wait (rio/caller.h, interrupted by a concurrent WSPCloseSocket), a connect in short
// slices so that a concurrent WSPCloseSocket is noticed.
#include "caller_wait.h"
#include "catalog.h"
#include "data_path.h"
#include "datagram_path.h"
#include "provider_state.h"
#include "socket.h"
#include "test_hooks.h"
#include "upcalls.h"
#include "watcher.h"
#include "worker.h"
#include "wsp.h"

#include <rio/net.h>

#include <cstring>

namespace riosp::provider {
namespace {

// Windows' "use the values from the protocol info" marker for WSPSocket's af/type/protocol.
constexpr int from_protocol_info = -1;

// Prepares a socket object for a new life; its registered memory (if any) is kept.
void reset_socket(Socket& s, int family, rio::net::NativeSocket fd,
                  HalfCloseState initial) noexcept {
    s.handle = INVALID_SOCKET;
    s.family = family;
    s.fd = fd;
    s.non_blocking = false;
    s.linger_on = false;
    s.linger_seconds = 0;
    s.so_error = 0;
    s.state.reinitialize(initial);
    s.dgram_peer_len = 0;
    s.dgram_held = false;
    s.dgram_truncated = false;
    s.dgram_bytes = 0;
    s.send_ring.reset(send_ring_bytes);
    s.recv_ring.reset(recv_ring_bytes);
    s.send_in_flight = 0;
    s.recv_in_flight = false;
    s.ring_counted = false;
    s.io_in_flight = 0;
    s.app_rio = false;
    s.app_rq = RIO_INVALID_RQ;
    s.ops.recv.clear();
    s.ops.send.clear();
    s.event = nullptr;
    s.event_mask = 0;
    s.events_pending = 0;
    s.event_errors = {};
    s.wait.reset();
    s.write_blocked = false;
}

// Wraps a kernel socket in a provider socket and an application handle; `out` holds the new
// socket for the rest of the call (the last WSPCleanup may close it as soon as this returns).
// WSAENETDOWN once the last WSPCleanup has begun: the kernel socket is closed, nothing is made.
SOCKET adopt(int family, rio::net::NativeSocket fd, const WSAPROTOCOL_INFOW& proto, SocketRef& out,
             LPINT lpErrno) {
    RIOSP_TEST_HOOK(adopt, 0);
    const SocketCreation creation;
    Socket* s = creation.admitted() ? socket_table().acquire() : nullptr;
    if (s == nullptr) {
        rio::net::close(fd, true);
        fail(lpErrno, creation.admitted() ? WSAEMFILE : WSAENETDOWN);
        return INVALID_SOCKET;
    }
    SocketRef held(s); // the creator's pin
    {
        std::lock_guard lock(s->mutex);
        reset_socket(*s, family, fd,
                     proto.iSocketType == SOCK_DGRAM ? HalfCloseState::datagram_socket()
                                                     : HalfCloseState::unconnected());
        s->worker = &worker_pool().assign();
    }
    int err = 0;
    SOCKET h = upcalls().lpWPUCreateSocketHandle(proto.dwCatalogEntryId,
                                                 SocketTable::context_of(*s), &err);
    std::lock_guard lock(s->mutex);
    if (h == INVALID_SOCKET) {
        SocketTable::retire(*s);
        release(*s, true);
        fail(lpErrno, err != 0 ? err : WSAENOBUFS);
        return INVALID_SOCKET;
    }
    s->handle = h;
    out = std::move(held);
    return h;
}

// A connect attempt succeeded: tell the state machine and attach the rings. 0, or the machine's
// error when a close came first (the connection dies with the socket).
int become_connected(Socket& s, SocketLock& lock) noexcept {
    if (const HalfCloseResult r = s.state.apply(HalfCloseEvent::connect_established); !r.ok())
        return r.error;
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
    if (type != SOCK_STREAM && type != SOCK_DGRAM)
        return static_cast<SOCKET>(fail(lpErrno, WSAESOCKTNOSUPPORT));
    const int native_protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    if (protocol != 0 && protocol != native_protocol)
        return static_cast<SOCKET>(fail(lpErrno, WSAEPROTONOSUPPORT));
    if (g != 0) // socket groups are not supported
        return static_cast<SOCKET>(fail(lpErrno, WSAEINVAL));
    const WSAPROTOCOL_INFOW* proto = find_protocol(af, type, protocol);
    if (proto == nullptr)
        return static_cast<SOCKET>(fail(lpErrno, WSAEPROTONOSUPPORT));
    rio::net::NativeSocket fd = rio::net::invalid_socket;
    if (int err = type == SOCK_STREAM ? rio::net::open_tcp(af, fd) : rio::net::open_udp(af, fd))
        return static_cast<SOCKET>(fail(lpErrno, err));
    SocketRef s;
    return adopt(af, fd, *proto, s, lpErrno);
}

int WSPAPI WSPBind(SOCKET s, const sockaddr* name, int namelen, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (name == nullptr)
        return fail(lpErrno, WSAEFAULT);
    if (name->sa_family != sock->family)
        return fail(lpErrno, WSAEFAULT);
    std::lock_guard lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    if (int err = rio::net::bind(sock->fd, name, namelen))
        return fail(lpErrno, err);
    return 0;
}

int WSPAPI WSPListen(SOCKET s, int backlog, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    // The machine's answer first (WSAEISCONN on a connection or an attempt, D13, D15), as a dry
    // run: the state changes only once the kernel has taken the listen too.
    if (const HalfCloseResult r = half_close_step(sock->state.load(), HalfCloseEvent::listen);
        !r.ok())
        return fail(lpErrno, r.error);
    if (backlog <= 0 || backlog > 4096)
        backlog = 4096;
    if (int err = rio::net::listen(sock->fd, backlog))
        return fail(lpErrno, err);
    if (const HalfCloseResult r = sock->state.apply(HalfCloseEvent::listen); !r.ok())
        return fail(lpErrno, r.error);
    if (sock->event_mask & FD_ACCEPT)
        watcher().watch(*sock);
    return 0;
}

namespace {

// What an accepted socket takes over from its listener: its blocking mode and event selection.
struct Inherited {
    bool non_blocking = false;
    WSAEVENT event = nullptr;
    LONG event_mask = 0;
};

// One connection from the listener's queue: at once, or, on a blocking listener, after a wait in
// this thread itself (rio/caller.h: one thread woken per connection). The call is counted as the
// listener's outstanding I/O from the start, so the listener cannot be released (its descriptor
// closed) under it, and a close interrupts it; the kernel calls run without the listener's lock,
// so threads accepting on one listener meet only in one short critical section at the end. 0
// or a WSA error (WSAEINTR when a close came first or interrupted the wait).
int take_connection(Socket& l, rio::net::NativeSocket& fd, sockaddr_storage& peer, int& peer_len,
                    Inherited& inherited) noexcept {
    enter_caller_wait(l);
    const HalfCloseResult begun = l.state.apply(HalfCloseEvent::begin_io);
    if (!begun.ok()) {
        leave_caller_wait(l);
        return WSAEINTR; // closed since the handle was looked up
    }
    const rio::net::NativeSocket lfd = l.fd; // stable while this call is counted
    int err = WSAEINVAL;
    if (begun.after.conn() == HalfCloseConn::listening) {
        // A blocking accept asks the kernel once, in its wait (which takes a pending connection
        // at once); a non-blocking one asks now.
        err = l.non_blocking.load(std::memory_order_relaxed)
                  ? rio::net::accept(lfd, fd, &peer, &peer_len)
                  : rio::caller::accept(lfd, fd, &peer, &peer_len, l.wait);
    }
    // Without an event selection there is nothing to inherit or re-arm, and io_done asks for
    // something only after a close (the release): then no lock is needed, as for a receive in
    // the caller. Many threads accepting on one listener would otherwise queue on its lock.
    if (l.event_mask.load(std::memory_order_relaxed) == 0) {
        inherited = Inherited{l.non_blocking.load(std::memory_order_relaxed), nullptr, 0};
        if (!l.state.apply_quiet(HalfCloseEvent::io_done)) {
            SocketLock lock(l.mutex);
            apply_and_act(l, HalfCloseEvent::io_done);
        }
        leave_caller_wait(l);
        return err;
    }
    SocketLock lock(l.mutex);
    inherited = Inherited{l.non_blocking.load(std::memory_order_relaxed), l.event, l.event_mask};
    if ((err == 0 || err == WSAEWOULDBLOCK) && (l.event_mask & FD_ACCEPT))
        watcher().watch(l); // more may be pending (or none yet): re-arm FD_ACCEPT
    apply_and_act(l, HalfCloseEvent::io_done);
    leave_caller_wait(l);
    return err;
}

} // namespace

SOCKET WSPAPI WSPAccept(SOCKET s, sockaddr* addr, LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                        DWORD_PTR dwCallbackData, LPINT lpErrno) {
    SocketRef listener = lookup(s, lpErrno);
    if (listener == nullptr)
        return INVALID_SOCKET;
    if (listener->datagram()) // no connections to accept: Windows' answer for UDP
        return static_cast<SOCKET>(fail(lpErrno, WSAEOPNOTSUPP));
    if (addr != nullptr && (addrlen == nullptr || *addrlen < static_cast<int>(sizeof(sockaddr_in))))
        return static_cast<SOCKET>(fail(lpErrno, WSAEFAULT));
    rio::net::NativeSocket fd = rio::net::invalid_socket;
    sockaddr_storage peer{};
    int peer_len = sizeof peer;
    Inherited inherited;
    if (int err = take_connection(*listener, fd, peer, peer_len, inherited))
        return static_cast<SOCKET>(fail(lpErrno, err));
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
    SocketRef sock;
    SOCKET h = adopt(listener->family, fd, *proto, sock, lpErrno);
    if (h == INVALID_SOCKET)
        return INVALID_SOCKET;
    // The listener's settings were read under its lock alone (take_connection): socket objects
    // are recycled across roles, so holding two socket locks at once would order them
    // differently in different lives.
    SocketLock lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno)) // by the last WSPCleanup, before the handle was out
        return INVALID_SOCKET;
    sock->event = inherited.event;
    sock->event_mask = inherited.event_mask;
    if (int err = inherited.non_blocking ? set_mode(*sock, true) : 0) {
        lock.unlock();
        int ignored = 0;
        (void)WSPCloseSocket(h, &ignored);
        return static_cast<SOCKET>(fail(lpErrno, err));
    }
    sock->state.reinitialize(HalfCloseState::connected()); // no one else has the handle yet
    if (int err = attach_data_path(*sock, lock)) {
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
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (name == nullptr)
        return fail(lpErrno, WSAEFAULT);
    if (lpSQOS != nullptr || lpGQOS != nullptr)
        return fail(lpErrno, WSAEOPNOTSUPP); // no QOS provider
    if (lpCallerData != nullptr && lpCallerData->len > 0)
        return fail(lpErrno,
                    WSAENOPROTOOPT); // TCP carries no connect data (XP1_CONNECT_DATA clear)
    if (sock->datagram()) {          // a default peer, set at once: nothing goes on the wire
        const int err = datagram_connect(*sock, name, namelen);
        return err == 0 ? 0 : fail(lpErrno, err);
    }
    SocketLock lock(sock->mutex);
    // WSAEISCONN, WSAEINVAL (listening) or WSAEALREADY from the machine (D15).
    if (const HalfCloseResult r = sock->state.apply(HalfCloseEvent::connect_started); !r.ok())
        return fail(lpErrno, r.error);
    if (sock->non_blocking.load(std::memory_order_relaxed)) {
        int err = rio::net::connect(sock->fd, name, namelen);
        if (err == 0)
            return become_connected(*sock, lock) == 0 ? 0 : fail(lpErrno, WSAENOBUFS);
        if (err != WSAEWOULDBLOCK) {
            (void)sock->state.apply(HalfCloseEvent::connect_failed);
            return fail(lpErrno, err);
        }
        watcher().watch(*sock); // FD_CONNECT / FD_WRITE when it completes
        return fail(lpErrno, WSAEWOULDBLOCK);
    }
    // Blocking: the whole connect in this thread's own wait (rio/caller.h: the plain blocking
    // connect on Linux), counted as the socket's outstanding I/O so that a close interrupts it
    // and releases the socket only after it has left the kernel.
    if (HalfCloseResult r = sock->state.apply(HalfCloseEvent::begin_io); !r.ok()) {
        (void)sock->state.apply(HalfCloseEvent::connect_failed);
        return fail(lpErrno, r.error);
    }
    enter_caller_wait(*sock);
    const rio::net::NativeSocket fd = sock->fd;
    lock.unlock();
    int err = rio::caller::connect(fd, name, namelen, sock->wait);
    lock.lock();
    if (err == 0 && sock->state.load().life() != HalfCloseLife::open)
        err = WSAEINTR; // closed meanwhile: the connection dies with the socket
    if (err == 0) {
        err = become_connected(*sock, lock) == 0 ? 0 : WSAENOBUFS;
    } else {
        (void)sock->state.apply(HalfCloseEvent::connect_failed);
        sock->so_error = err;
    }
    apply_and_act(*sock, HalfCloseEvent::io_done);
    leave_caller_wait(*sock);
    return err == 0 ? 0 : fail(lpErrno, err);
}

int finish_connect(Socket& s, SocketLock& lock) noexcept {
    int result = rio::net::connect_result(s.fd);
    if (result != 0) {
        (void)s.state.apply(HalfCloseEvent::connect_failed);
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
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    if (int err = rio::net::local_name(sock->fd, name, namelen))
        return fail(lpErrno, err);
    // An unbound socket has no name on Windows (sin_port and sin6_port share offset 2).
    if (reinterpret_cast<sockaddr_in*>(name)->sin_port == 0 &&
        sock->conn() == HalfCloseConn::unconnected)
        return fail(lpErrno, WSAEINVAL);
    return 0;
}

int WSPAPI WSPGetPeerName(SOCKET s, sockaddr* name, LPINT namelen, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    if (sock->conn() != HalfCloseConn::connected && !sock->dgram_peer())
        return fail(lpErrno, WSAENOTCONN);
    if (int err = rio::net::peer_name(sock->fd, name, namelen))
        return fail(lpErrno, err);
    return 0;
}

} // namespace riosp::provider
