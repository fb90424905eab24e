// The half-close entry points: WSPSendDisconnect, WSPRecvDisconnect, WSPShutdown and
// WSPCloseSocket. Each asks the socket's state machine (half_close.h) and performs the actions
// it returns; none of them blocks or allocates (linger never makes them wait here).
#include "data_path.h"
#include "provider_state.h"
#include "selectors.h"
#include "socket.h"
#include "test_hooks.h"
#include "upcalls.h"
#include "wsp.h"

#include <chrono>
#include <thread>

namespace riosp::provider {
namespace {

int check_and_act(Socket& s, const HalfCloseResult& r, LPINT lpErrno) noexcept {
    if (!r.ok())
        return fail(lpErrno, r.error);
    act_on(s, r);
    return 0;
}

} // namespace

int WSPAPI WSPSendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    SocketLock lock(sock->mutex);
    return check_and_act(*sock, sock->state.send_disconnect(lpOutboundDisconnectData != nullptr),
                         lpErrno);
}

int WSPAPI WSPRecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    SocketLock lock(sock->mutex);
    HalfCloseResult r = sock->state.apply(HalfCloseEvent::recv_disconnect);
    if (r.ok() && lpInboundDisconnectData != nullptr)
        lpInboundDisconnectData->len = 0; // TCP never carries inbound disconnect data
    return check_and_act(*sock, r, lpErrno);
}

int WSPAPI WSPShutdown(SOCKET s, int how, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    SocketLock lock(sock->mutex);
    return check_and_act(*sock, sock->state.shutdown(how), lpErrno);
}

int WSPAPI WSPCloseSocket(SOCKET s, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    SocketLock lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno)) // lost a race with another close (D9)
        return SOCKET_ERROR;
    // Received data nobody read makes the close a reset, whatever the linger setting: the peer
    // must learn that data was lost (RFC 1122 4.2.2.13; Windows and Linux do the same). What is
    // still in the kernel the kernel resets for itself when the descriptor is closed; bytes in
    // the receive ring are riosp's to account for (and those a cancelled ring receive brings
    // back later, recycle_if_idle).
    // A datagram socket has no linger semantics: its close is the same whatever the setting.
    const bool lingers = sock->linger_on && !sock->datagram();
    const bool abortive = (lingers && sock->linger_seconds == 0) || !sock->recv_ring.empty();
    // {1,n} on a non-blocking socket cannot wait for its queued data: WSAEWOULDBLOCK while
    // sends are queued, and the handle stays valid (docs/half-close.md, D10; the unit decides).
    const HalfCloseEvent event = abortive ? HalfCloseEvent::close_abortive
                                 : (lingers && sock->non_blocking)
                                     ? HalfCloseEvent::close_linger_nonblocking
                                     : HalfCloseEvent::close_graceful;
    if (event == HalfCloseEvent::close_graceful && lingers && sock->linger_seconds > 0) {
        // {1,n} on a blocking socket: wait (on this thread) up to n seconds until the remaining
        // data has been sent — out of riosp's ring and out of the kernel's unsent queue — then
        // close gracefully either way (Windows resets the connection when the time runs out:
        // docs/half-close.md, "Known departures"). The kernel gives no wake-up for "nothing left
        // unsent", so that part is looked at every millisecond. Another close of the handle
        // (another thread's, or the last WSPCleanup's) may come while the lock is let go: it
        // wins, and wakes this one (retire_handle), which then fails as the loser (D9).
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::seconds(sock->linger_seconds);
        Socket& so = *sock;
        RIOSP_TEST_HOOK(linger_wait, s);
        so.cv.wait_until(lock, deadline, [&so] {
            return (so.send_ring.empty() && so.ops.send.empty()) || !SocketTable::is_live(so);
        });
        while (SocketTable::is_live(so) && rio::net::has_unsent_data(so.fd) &&
               std::chrono::steady_clock::now() < deadline) {
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            lock.lock();
        }
        if (closed_meanwhile(so, lpErrno))
            return SOCKET_ERROR;
    }
    // {1,n} non-blocking: bytes the kernel took but could not send yet (the peer's window is
    // closed) are queued data too; riosp's ring may have drained into the kernel already.
    if (event == HalfCloseEvent::close_linger_nonblocking && rio::net::has_unsent_data(sock->fd))
        return fail(lpErrno, WSAEWOULDBLOCK);
    HalfCloseResult r = sock->state.apply(event);
    if (!r.ok())
        return fail(lpErrno, r.error);
    int err = 0;
    (void)upcalls().lpWPUCloseSocketHandle(s, &err);
    retire_handle(*sock);
    act_on(*sock, r);
    wake_selectors(*sock); // a select watching it ends (WSAEINTR)
    return 0;
}

} // namespace riosp::provider
