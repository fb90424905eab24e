#include "extensions.h"

#include "completion.h"
#include "data_path.h"
#include "provider_state.h"
#include "socket.h"
#include "wsp.h"

#include <rio/rio.h>
#include <rio/rio_table.h>

#include <cstring>

namespace riosp::provider {
namespace {

// DisconnectEx on a provider socket: the graceful half-close of SD_SEND (the FIN follows the
// queued data). TF_REUSE_SOCKET is refused: riosp sockets are not reusable after a disconnect
// (docs/half-close.md: no reuse is promised after a disconnect).
BOOL PASCAL disconnect_ex(SOCKET s, LPOVERLAPPED ov, DWORD flags, DWORD reserved) {
    int err = 0;
    if (reserved != 0 || (flags & ~static_cast<DWORD>(TF_REUSE_SOCKET)) != 0) {
        err = WSAEINVAL;
    } else if (flags & TF_REUSE_SOCKET) {
        err = WSAEOPNOTSUPP;
    } else if (WSPShutdown(s, SD_SEND, &err) == 0) {
        if (ov != nullptr) {
            PendingOp op;
            op.overlapped = true;
            op.handle = s;
            op.ov = ov;
            complete_overlapped(op, 0, 0);
        }
        return TRUE;
    }
    rio::set_last_error(err);
    return FALSE;
}

// RIOCreateRequestQueue over a provider SOCKET: the socket leaves the provider's own data path
// (WSPSend/WSPRecv on it then fail with WSAEINVAL) and its kernel socket goes to the
// application's request queue. One per socket, as on Windows (a second call: WSAEINVAL); a
// call that fails leaves the socket the provider's. All of it under the socket's lock, so a
// concurrent closesocket comes before (WSAENOTSOCK) or after (it closes the queue with the
// socket), never between the queue's creation and the socket knowing it.
RIO_RQ PASCAL create_request_queue(SOCKET s, ULONG max_recv, ULONG max_recv_bufs, ULONG max_send,
                                   ULONG max_send_bufs, RIO_CQ recv_cq, RIO_CQ send_cq,
                                   PVOID context) {
    int err = 0;
    SocketRef sock = lookup(s, &err);
    if (sock == nullptr) {
        rio::set_last_error(err);
        return RIO_INVALID_RQ;
    }
    std::lock_guard lock(sock->mutex);
    if (closed_meanwhile(*sock, &err)) {
        rio::set_last_error(err);
        return RIO_INVALID_RQ;
    }
    // A datagram socket needs no connection, but a datagram the provider holds or is
    // sending would be lost with its request queue.
    const bool busy = sock->datagram() ? sock->dgram_held || sock->send_in_flight != 0
                                       : sock->conn() != HalfCloseConn::connected;
    if (sock->app_rio || busy || !sock->recv_ring.empty() || !sock->send_ring.empty() ||
        !sock->ops.recv.empty() || !sock->ops.send.empty() || sock->callers.load() != 0) {
        rio::set_last_error(WSAEINVAL);
        return RIO_INVALID_RQ;
    }
    // The provider's own queue goes first (the epoll backend watches a descriptor for one queue
    // only). It comes back at its next use if this call fails; a ring receive it cancels
    // (FD_READ selected) is posted again when its aborted completion arrives (data_path.cpp).
    sock->rq.reset();
    const RIO_RQ rq = rio::function_table().RIOCreateRequestQueue(
        static_cast<SOCKET>(sock->fd), max_recv, max_recv_bufs, max_send, max_send_bufs, recv_cq,
        send_cq, context);
    if (rq == RIO_INVALID_RQ)
        return RIO_INVALID_RQ; // rio left its error
    sock->app_rio = true;
    sock->app_rq = rq;
    return rq;
}

const RIO_EXTENSION_FUNCTION_TABLE& bound_rio_table() noexcept {
    static const RIO_EXTENSION_FUNCTION_TABLE table = [] {
        RIO_EXTENSION_FUNCTION_TABLE t = rio::function_table();
        t.RIOCreateRequestQueue = create_request_queue;
        return t;
    }();
    return table;
}

} // namespace

int extension_function(DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                       LPDWORD returned, LPINT lpErrno) noexcept {
    if (in == nullptr || in_len < sizeof(GUID))
        return fail(lpErrno, WSAEFAULT);
    GUID id;
    std::memcpy(&id, in, sizeof id);
    const GUID disconnect_ex_id = WSAID_DISCONNECTEX;
    const GUID rio_id = WSAID_MULTIPLE_RIO;
    if (code == SIO_GET_EXTENSION_FUNCTION_POINTER && id == disconnect_ex_id) {
        if (out == nullptr || out_len < sizeof(LPFN_DISCONNECTEX))
            return fail(lpErrno, WSAEFAULT);
        LPFN_DISCONNECTEX fn = disconnect_ex;
        std::memcpy(out, &fn, sizeof fn);
        if (returned != nullptr)
            *returned = sizeof fn;
        return 0;
    }
    if (code == SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER && id == rio_id) {
        if (out == nullptr || out_len < sizeof(RIO_EXTENSION_FUNCTION_TABLE))
            return fail(lpErrno, WSAEFAULT);
        std::memcpy(out, &bound_rio_table(), sizeof(RIO_EXTENSION_FUNCTION_TABLE));
        if (returned != nullptr)
            *returned = sizeof(RIO_EXTENSION_FUNCTION_TABLE);
        return 0;
    }
    return fail(lpErrno, WSAEINVAL); // an extension riosp does not offer
}

} // namespace riosp::provider
