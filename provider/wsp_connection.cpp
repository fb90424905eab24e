// Connection setup: WSPSocket, WSPBind, WSPListen, WSPAccept, WSPConnect and the two name
// queries. Blocking variants wait on the calling thread (never a worker): an accept in its own
// kernel wait (rio/caller.h, interrupted by a concurrent WSPCloseSocket), a connect in short
// slices so that a concurrent WSPCloseSocket is noticed.
#include "caller_wait.h"
#include "catalog.h"
#include "data_path.h"
#include "datagram_path.h"
#include "provider_state.h"
#include "selectors.h"
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
    drop_held_connections(s); // none, unless a cleanup recycled a listener in the middle of it
}

// Undoes adopt: the handle (known to no one yet) closed, the socket released and its lock let go
// (the caller's SocketRef, the creator's pin, recycles the slot), the descriptor the caller's
// again.
void unadopt(Socket& s, SocketLock& lock, SOCKET h) noexcept {
    if (h != INVALID_SOCKET) {
        int ignored = 0;
        (void)upcalls().lpWPUCloseSocketHandle(h, &ignored);
    }
    SocketTable::retire(s);
    s.fd = rio::net::invalid_socket; // not release's to close
    release(s, true);
    lock.unlock();
}

// Wraps a kernel socket in a provider socket (reset for its new life, given a worker) and an
// application handle; `out` holds the new socket for the rest of the call and `lock` its lock.
// INVALID_SOCKET with `err` otherwise, the descriptor still the caller's: WSAEMFILE (the table
// is full), WSAENETDOWN (the last WSPCleanup has begun: nothing is made). The socket is in the
// table with its handle, and locked, before the creation gate lets the cleanup go on: its
// close_all_sockets finds it there and waits for the caller to let go of it.
SOCKET adopt(int family, rio::net::NativeSocket fd, const WSAPROTOCOL_INFOW& proto,
             HalfCloseState initial, SocketRef& out, SocketLock& lock, int& err) noexcept {
    RIOSP_TEST_HOOK(adopt, 0);
    const SocketCreation creation;
    Socket* s = creation.admitted() ? socket_table().acquire() : nullptr;
    if (s == nullptr) {
        err = creation.admitted() ? WSAEMFILE : WSAENETDOWN;
        return INVALID_SOCKET;
    }
    SocketRef held(s); // the creator's pin
    lock = SocketLock(s->mutex);
    reset_socket(*s, family, fd, initial);
    s->worker = &worker_pool().assign();
    err = 0;
    const SOCKET h = upcalls().lpWPUCreateSocketHandle(proto.dwCatalogEntryId,
                                                       SocketTable::context_of(*s), &err);
    if (h == INVALID_SOCKET) {
        err = err != 0 ? err : WSAENOBUFS;
        unadopt(*s, lock, INVALID_SOCKET);
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
    wake_selectors(s); // writable now, however the connect finished
    return attach_data_path(s, lock);
}

// A connect attempt failed: the socket is unconnected again, with the error in SO_ERROR
// (exceptional for select).
void connect_failed(Socket& s, int error) noexcept {
    (void)s.state.apply(HalfCloseEvent::connect_failed);
    s.so_error = error;
    wake_selectors(s);
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
    SocketLock lock;
    int err = 0;
    const SOCKET h = adopt(af, fd, *proto,
                           type == SOCK_DGRAM ? HalfCloseState::datagram_socket()
                                              : HalfCloseState::unconnected(),
                           s, lock, err);
    if (h == INVALID_SOCKET) {
        rio::net::close(fd, true);
        return static_cast<SOCKET>(fail(lpErrno, err));
    }
    return h;
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

// A connection the kernel has accepted, on its way to the application.
using Connection = Socket::HeldConnection;

// The size of an address of the listener's family: an address buffer must hold one.
int address_size(const Socket& l) noexcept {
    return l.family == AF_INET6 ? static_cast<int>(sizeof(sockaddr_in6))
                                : static_cast<int>(sizeof(sockaddr_in));
}

// Takes the oldest connection the listener holds, if any (an earlier accept left it there).
bool take_held(Socket& l, Connection& c) noexcept {
    if (!l.holds_connections.load(std::memory_order_acquire))
        return false;
    SocketLock lock(l.mutex);
    if (l.held.empty())
        return false;
    c = l.held.front();
    l.held.erase(l.held.begin());
    l.holds_connections.store(!l.held.empty(), std::memory_order_release);
    return true;
}

// Gives a connection back to the listener, first in line for the next accept: the kernel has
// accepted it, so it must not be lost. The listener's accept call is still counted as its I/O,
// so the listener cannot have been released; if it was closed meanwhile, the connection dies
// with it (reset, as a closed listener's pending connections are).
void hold(Socket& l, const Connection& c) noexcept {
    SocketLock lock(l.mutex);
    if (l.state.load().life() == HalfCloseLife::open) {
        try {
            l.held.insert(l.held.begin(), c);
            l.holds_connections.store(true, std::memory_order_release);
            wake_selectors(l); // readable: a connection is pending again
            return;
        } catch (...) { // no memory for one more: nothing to keep it in
        }
    }
    rio::net::close(c.fd, true);
}

// One connection for this accept: one the listener holds, else the kernel's, at once or, on a
// blocking listener, after a wait in this thread itself (rio/caller.h: one thread woken per
// connection). The kernel calls run without the listener's lock, so threads accepting on one
// listener meet only in short critical sections (none without an event selection). 0 or a WSA
// error (WSAEINTR when a close interrupted the wait).
int take_connection(Socket& l, Connection& c, Inherited& inherited) noexcept {
    if (l.event_mask.load(std::memory_order_relaxed) == 0) {
        inherited = Inherited{l.non_blocking.load(std::memory_order_relaxed), nullptr, 0};
    } else {
        SocketLock lock(l.mutex);
        inherited =
            Inherited{l.non_blocking.load(std::memory_order_relaxed), l.event, l.event_mask};
    }
    if (take_held(l, c))
        return 0;
    const rio::net::NativeSocket lfd = l.fd; // stable while this call is counted
    c.peer_len = static_cast<int>(c.peer.size());
    return inherited.non_blocking
               ? rio::net::accept(lfd, c.fd, c.peer.data(), &c.peer_len)
               : rio::caller::accept(lfd, c.fd, c.peer.data(), &c.peer_len, l.wait);
}

// Makes a provider socket of an accepted connection, with what it inherits from its listener:
// the new handle, or INVALID_SOCKET with *err, the connection still the caller's.
SOCKET adopt_connection(const Socket& l, const Connection& c, const Inherited& inherited,
                        int& err) noexcept {
    SocketRef s;
    SocketLock lock;
    const SOCKET h = adopt(l.family, c.fd, *find_protocol(l.family, SOCK_STREAM, IPPROTO_TCP),
                           HalfCloseState::connected(), s, lock, err);
    if (h == INVALID_SOCKET)
        return INVALID_SOCKET;
    s->event = inherited.event;
    s->event_mask = inherited.event_mask;
    // attach last: with FD_READ inherited it may post a receive, which no undoing could take back.
    if ((err = inherited.non_blocking ? set_mode(*s, true) : 0) != 0 ||
        (err = attach_data_path(*s, lock)) != 0) {
        unadopt(*s, lock, h);
        return INVALID_SOCKET;
    }
    return h;
}

// Hands one connection the listener has taken to the application: its condition function's
// verdict, then a provider socket. A connection that cannot be handed out now goes back to the
// listener (hold), so none is lost. The new handle, or INVALID_SOCKET with *err.
SOCKET hand_out(Socket& l, const Connection& c, const Inherited& inherited, sockaddr* addr,
                LPINT addrlen, LPCONDITIONPROC condition, DWORD_PTR data, int& err) noexcept {
    if (condition != nullptr) {
        Connection peer = c; // the condition function gets a copy of the caller's address
        WSABUF caller_id{static_cast<ULONG>(peer.peer_len), peer.peer.data()};
        GROUP g = 0;
        const int verdict =
            condition(&caller_id, nullptr, nullptr, nullptr, nullptr, nullptr, &g, data);
        if (verdict == CF_REJECT) {
            rio::net::close(c.fd, true);
            err = WSAECONNREFUSED;
            return INVALID_SOCKET;
        }
        if (verdict != CF_ACCEPT) {
            // CF_DEFER: the connection stays queued for the next accept (WSATRY_AGAIN); so does
            // one a condition function answered with no valid verdict (WSAEINVAL).
            hold(l, c);
            err = verdict == CF_DEFER ? WSATRY_AGAIN : WSAEINVAL;
            return INVALID_SOCKET;
        }
    }
    if (addr != nullptr && *addrlen < c.peer_len) { // an address longer than its family's
        hold(l, c);
        err = WSAEFAULT;
        return INVALID_SOCKET;
    }
    const SOCKET h = adopt_connection(l, c, inherited, err);
    if (h == INVALID_SOCKET) {
        hold(l, c);
        return INVALID_SOCKET;
    }
    if (addr != nullptr) {
        std::memcpy(addr, c.peer.data(), static_cast<std::size_t>(c.peer_len));
        *addrlen = c.peer_len;
    }
    return h;
}

} // namespace

void drop_held_connections(Socket& l) noexcept {
    for (const Connection& c : l.held)
        rio::net::close(c.fd, true);
    l.held.clear();
    l.holds_connections.store(false, std::memory_order_release);
}

// The whole call is counted as the listener's outstanding I/O, so the listener cannot be
// released (its descriptor closed, its held connections reset) under it, and a close interrupts
// its wait. Every call re-enables FD_ACCEPT, failed or not, except one whose condition function
// deferred (WSAEventSelect's re-enabling rule: "unless the error code returned is WSATRY_AGAIN").
SOCKET WSPAPI WSPAccept(SOCKET s, sockaddr* addr, LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                        DWORD_PTR dwCallbackData, LPINT lpErrno) {
    SocketRef listener = lookup(s, lpErrno);
    if (listener == nullptr)
        return INVALID_SOCKET;
    if (listener->datagram()) // no connections to accept: Windows' answer for UDP
        return static_cast<SOCKET>(fail(lpErrno, WSAEOPNOTSUPP));
    Socket& l = *listener;
    enter_caller_wait(l);
    const HalfCloseResult begun = l.state.apply(HalfCloseEvent::begin_io);
    if (!begun.ok()) {
        leave_caller_wait(l);
        return static_cast<SOCKET>(fail(lpErrno, WSAEINTR)); // closed since the lookup
    }
    int err = 0;
    SOCKET h = INVALID_SOCKET;
    // An address buffer too small for the family's address fails before a connection is taken.
    if (addr != nullptr && (addrlen == nullptr || *addrlen < address_size(l))) {
        err = WSAEFAULT;
    } else if (begun.after.conn() != HalfCloseConn::listening) {
        err = WSAEINVAL;
    } else {
        Connection c;
        Inherited inherited;
        err = take_connection(l, c, inherited);
        if (err == 0)
            h = hand_out(l, c, inherited, addr, addrlen, lpfnCondition, dwCallbackData, err);
    }
    // Without an event selection there is nothing to re-enable, and io_done asks for something
    // only after a close (the release): then no lock is needed, as for a receive in the caller.
    // Many threads accepting on one listener would otherwise queue on its lock.
    if (l.event_mask.load(std::memory_order_relaxed) == 0 &&
        l.state.apply_quiet(HalfCloseEvent::io_done)) {
        leave_caller_wait(l);
    } else {
        SocketLock lock(l.mutex);
        if (err != WSATRY_AGAIN)
            rearm_fd_accept(l);
        apply_and_act(l, HalfCloseEvent::io_done);
        leave_caller_wait(l);
    }
    return h != INVALID_SOCKET ? h : static_cast<SOCKET>(fail(lpErrno, err));
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
        connect_failed(*sock, err);
    }
    apply_and_act(*sock, HalfCloseEvent::io_done);
    leave_caller_wait(*sock);
    return err == 0 ? 0 : fail(lpErrno, err);
}

int finish_connect(Socket& s, SocketLock& lock) noexcept {
    int result = rio::net::connect_result(s.fd);
    if (result != 0) {
        connect_failed(s, result);
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
