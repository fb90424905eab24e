// Readiness: WSPSelect, WSPEventSelect, WSPEnumNetworkEvents.
#include "data_path.h"
#include "datagram_path.h"
#include "provider_state.h"
#include "socket.h"
#include "upcalls.h"
#include "watcher.h"
#include "wsp.h"

#include <chrono>
#include <thread>

namespace riosp::provider {
namespace {

enum class Want { read, write, except };

// Readiness as Winsock defines it for select(), computed from the socket's facts.
bool ready(Socket& s, Want want) noexcept {
    SocketLock lock(s.mutex);
    HalfCloseState st = s.state.load();
    if (st.datagram()) // always "connected" enough to send; readable when a datagram waits
        return want == Want::read    ? datagram_readable(s)
               : want == Want::write ? st.send() == HalfCloseSend::open && s.send_in_flight == 0
                                     : false;
    switch (want) {
    case Want::read:
        if (s.conn() == HalfCloseConn::listening)
            return rio::net::wait_readable(s.fd, 0) == 0; // a connection is pending
        if (s.conn() != HalfCloseConn::connected)
            return false;
        if (!s.recv_ring.empty() || st.fin_arrived() || st.reset())
            return true;
        // Receives are demand-driven: what nobody asked for yet is still in the kernel.
        return can_receive_in_caller(s) && rio::net::wait_readable(s.fd, 0) == 0;
    case Want::write:
        if (s.conn() == HalfCloseConn::connecting && rio::net::wait_writable(s.fd, 0) == 0)
            (void)finish_connect(s, lock);
        return s.conn() == HalfCloseConn::connected && st.send() == HalfCloseSend::open &&
               s.send_ring.free() > 0;
    case Want::except:
        return s.conn() == HalfCloseConn::unconnected &&
               s.so_error != 0; // a failed non-blocking connect
    }
    return false;
}

// Keeps the ready sockets of one set; false with *err on a bad handle.
bool filter(fd_set* set, Want want, int& count, LPINT err) noexcept {
    if (set == nullptr)
        return true;
    u_int kept = 0;
    for (u_int i = 0; i < set->fd_count; ++i) {
        Socket* s = lookup(set->fd_array[i], err);
        if (s == nullptr)
            return false;
        if (ready(*s, want))
            set->fd_array[kept++] = set->fd_array[i];
    }
    set->fd_count = kept;
    count += static_cast<int>(kept);
    return true;
}

} // namespace

int WSPAPI WSPSelect(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                     RIOSP_SELECT_TIMEOUT timeout, LPINT lpErrno) {
    (void)nfds; // ignored, as on Windows
    if (readfds == nullptr && writefds == nullptr && exceptfds == nullptr)
        return fail(lpErrno, WSAEINVAL);
    using clock = std::chrono::steady_clock;
    const bool forever = timeout == nullptr;
    const auto deadline = forever ? clock::time_point::max()
                                  : clock::now() + std::chrono::seconds(timeout->tv_sec) +
                                        std::chrono::microseconds(timeout->tv_usec);
    fd_set r{}, w{}, e{};
    auto backoff = std::chrono::microseconds(50);
    bool first_pass = true;
    for (;;) {
        // Work on copies: the caller's sets must list every socket again on each pass.
        if (readfds != nullptr)
            r = *readfds;
        if (writefds != nullptr)
            w = *writefds;
        if (exceptfds != nullptr)
            e = *exceptfds;
        int count = 0;
        if (!filter(readfds ? &r : nullptr, Want::read, count, lpErrno) ||
            !filter(writefds ? &w : nullptr, Want::write, count, lpErrno) ||
            !filter(exceptfds ? &e : nullptr, Want::except, count, lpErrno)) {
            // A handle that was good on the first pass was closed while this select waited:
            // WSAEINTR, as for any blocking call a close ends (Windows Sockets 2, 2.7).
            if (!first_pass && *lpErrno == WSAENOTSOCK)
                *lpErrno = WSAEINTR;
            return SOCKET_ERROR;
        }
        first_pass = false;
        if (count > 0 || clock::now() >= deadline) {
            if (readfds != nullptr)
                *readfds = r;
            if (writefds != nullptr)
                *writefds = w;
            if (exceptfds != nullptr)
                *exceptfds = e;
            return count;
        }
        // Readiness lives in provider state updated by workers; poll it with a short,
        // growing sleep (bounded at 2 ms) rather than a wake-up channel per select call.
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::microseconds(2000));
    }
}

int WSPAPI WSPEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents, LPINT lpErrno) {
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (lNetworkEvents != 0 && hEventObject == nullptr)
        return fail(lpErrno, WSAEINVAL);
    SocketLock lock(sock->mutex);
    sock->event = hEventObject;
    sock->event_mask = lNetworkEvents & FD_ALL_EVENTS;
    sock->events_pending = 0;
    if (lNetworkEvents != 0) // selecting events makes the socket non-blocking, as on Windows
        if (int err = set_mode(*sock, true))
            return fail(lpErrno, err);
    // Conditions that already hold are reported at once (Windows re-enabling rules).
    HalfCloseState st = sock->state.load();
    rearm_fd_accept(*sock); // at once while the listener holds a connection
    if (sock->conn() == HalfCloseConn::connecting && (sock->event_mask & (FD_CONNECT | FD_WRITE)))
        watcher().watch(*sock);
    if (st.datagram()) {
        // FD_READ: a receive into the ring while the selection lasts (datagram_path.cpp).
        if (int err = take_incoming(*sock))
            return fail(lpErrno, err);
        if (sock->dgram_held)
            raise_event(*sock, FD_READ_BIT, 0);
        if (st.send() == HalfCloseSend::open && sock->send_in_flight == 0)
            raise_event(*sock, FD_WRITE_BIT, 0);
    }
    if (sock->conn() == HalfCloseConn::connected) {
        // FD_READ / FD_CLOSE need incoming data taken in as it arrives (data_path.cpp).
        if (int err = take_incoming(*sock))
            return fail(lpErrno, err);
        if (!sock->recv_ring.empty())
            raise_event(*sock, FD_READ_BIT, 0);
        if (st.send() == HalfCloseSend::open && sock->send_ring.free() > 0)
            raise_event(*sock, FD_WRITE_BIT, 0);
        // The machine raised FD_CLOSE once, when the FIN arrived or the connection was reset:
        // a new selection hears of it again (Windows' re-enabling rule).
        if (st.fin_arrived() || st.reset())
            raise_fd_close(*sock, st.reset() ? WSAECONNRESET : 0);
    }
    return 0;
}

int WSPAPI WSPEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject, LPWSANETWORKEVENTS lpNetworkEvents,
                                LPINT lpErrno) {
    Socket* sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (lpNetworkEvents == nullptr)
        return fail(lpErrno, WSAEFAULT);
    SocketLock lock(sock->mutex);
    lpNetworkEvents->lNetworkEvents = sock->events_pending;
    for (int bit = 0; bit < FD_MAX_EVENTS; ++bit)
        lpNetworkEvents->iErrorCode[bit] =
            (sock->events_pending & (1 << bit)) ? sock->event_errors[static_cast<size_t>(bit)] : 0;
    sock->events_pending = 0;
    if (hEventObject != nullptr) {
        int err = 0;
        (void)upcalls().lpWPUResetEvent(hEventObject, &err);
    }
    // FD_READ stays asserted while data is buffered (Winsock re-enables it on each recv).
    if ((sock->conn() == HalfCloseConn::connected && !sock->recv_ring.empty()) || sock->dgram_held)
        raise_event(*sock, FD_READ_BIT, 0);
    return 0;
}

} // namespace riosp::provider
