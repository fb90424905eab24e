// WSPSend / WSPRecv (and the connected-TCP forms of WSPSendTo / WSPRecvFrom; datagram sockets
// go to datagram_path.cpp), and WSPGetOverlappedResult. Three modes: overlapped (completed at once
// when the kernel has what it needs, else queued and completed by a worker through the event or the
// completion routine), non-blocking (what the kernel takes or holds at once, else WSAEWOULDBLOCK),
// blocking (the calling thread waits itself, never a worker: a receive in its own kernel wait, see
// data_path.cpp; an op queued behind others on the socket's condition variable).
#include "caller_wait.h"
#include "completion.h"
#include "data_path.h"
#include "datagram_path.h"
#include "provider_state.h"
#include "socket.h"
#include "worker.h"
#include "wsp.h"
#include "wsp_call.h"

#include <gsl/gsl>

#include <array>
#include <chrono>

namespace riosp::provider {
namespace {

// A receive of the caller's own got 0 bytes: the peer's FIN (0), or, when a send already took
// the kernel's one report of a reset (the socket then reads as ended), that reset.
int end_of_stream(Socket& s) noexcept {
    if (s.state.load().reset())
        return WSAECONNRESET;
    on_peer_eof(s);
    return 0;
}

// A blocking receive with nothing before it in the stream, waited for in the calling thread
// itself (rio/caller.h), straight into the application's buffers: one wake-up, from the kernel.
// The common case of the main job, so it needs no PendingOp, and bytes, its common outcome, are
// taken without the socket's lock: io_done can only ask for something (the release) after a
// close, and then the lock is taken for it. MSG_WAITALL waits on, in the same way, until the
// buffers are full or the stream ends (the bytes so far are the result then); an error ends it
// with the error, as the connection is gone.
int receive_in_caller(Socket& s, const Call& c, std::uint64_t total, SocketLock& lock,
                      LPINT lpErrno) noexcept {
    const std::span<const WSABUF> bufs(c.buffers, c.count);
    ReceiveParts parts; // [0, n) only
    std::size_t n = parts_after(bufs, 0, parts);
    std::size_t got = 0;
    const int error = receive_in_caller_wait(
        s, lock,
        [&](rio::net::NativeSocket fd, std::chrono::microseconds spin, int& err) {
            const rio::net::Receive take_or_peek = kernel_receive(c.flags);
            auto r =
                rio::caller::receive(fd, std::span(parts.data(), n), spin, s.wait, take_or_peek);
            got = r.ok() ? r.value() : 0;
            while ((c.flags & MSG_WAITALL) != 0 && r.ok() && r.value() > 0 && got < total) {
                n = parts_after(bufs, got, parts);
                r = rio::caller::receive(fd, std::span(parts.data(), n), spin, s.wait,
                                         take_or_peek);
                got = r.ok() ? got + r.value() : 0; // an error ends it: the connection is gone
            }
            err = r.error();
            return r.ok() && got > 0; // 0 bytes at all: the peer's FIN
        },
        [&](int err) {
            if (err == 0)
                return end_of_stream(s); // 0 bytes: the peer's FIN
            if (err == WSAEINTR)
                return WSAEINTR; // closed meanwhile (Windows Sockets 2, 2.7)
            on_connection_failed(s, err);
            return connection_error(err);
        });
    if (c.bytes_out != nullptr)
        *c.bytes_out = gsl::narrow_cast<DWORD>(got);
    return error == 0 ? 0 : fail(lpErrno, error);
}

// What the kernel holds for this receive now, without waiting, into the room it has left: 0
// (op.transferred grows; nothing more is the peer's FIN), WSAEWOULDBLOCK, or the receive's error.
int receive_now(Socket& s, PendingOp& op) noexcept {
    ReceiveParts parts; // [0, n) only
    const std::size_t n = parts_after(buffers_of(op), op.transferred, parts);
    std::size_t got = 0;
    const int err =
        rio::net::recv_now(s.fd, std::span(parts.data(), n), got, kernel_receive(op.flags));
    if (err == WSAEWOULDBLOCK)
        return err;
    if (err != 0) {
        on_connection_failed(s, err);
        return connection_error(err);
    }
    op.transferred += gsl::narrow_cast<DWORD>(got);
    return got == 0 ? end_of_stream(s) : 0;
}

int send_call(Socket& socket, SOCKET s, const Call& c, LPINT lpErrno) {
    Socket* sock = &socket;
    std::uint64_t total = 0;
    if (int err = check_buffers(c, total))
        return fail(lpErrno, err);
    if (total > max_call_bytes)
        return fail(lpErrno, WSAEFAULT); // its count could not be reported
    SocketLock lock(sock->mutex);
    if (sock->app_rio)
        return fail(lpErrno, WSAEINVAL); // its data path belongs to the application's RIO queue
    HalfCloseResult r = sock->state.apply(HalfCloseEvent::begin_send);
    if (!r.ok())
        return fail(lpErrno, r.error);
    // Earlier sends waiting for room go first: bytes must leave in call order.
    const bool first = can_send_inline(*sock);
    DWORD sent = 0;
    int taken = first ? send_inline(*sock, std::span(c.buffers, c.count), 0, sent) : 0;
    if (first && taken == 0 && c.ov == nullptr && sent == total) {
        // The common case: the kernel took every byte from the application's buffers.
        apply_and_act(*sock, HalfCloseEvent::send_done);
        if (c.bytes_out != nullptr)
            *c.bytes_out = sent;
        return 0;
    }
    PendingOp op;
    op.handle = s;
    fill(op, c);
    op.transferred = sent;
    // What is left riosp copies into its ring, now or from a worker: the application's memory
    // is looked at first (app_bytes_readable), so that a bad buffer fails here, at the call. A
    // non-blocking send copies what the ring takes now, and no more.
    const std::uint64_t copied_at_most =
        !op.overlapped && sock->non_blocking ? sock->send_ring.free() : total - sent;
    if (taken == 0 && sent < total && !app_bytes_readable(buffers_of(op), sent, copied_at_most))
        taken = WSAEFAULT;
    if (taken == 0 && (first || sock->ops.send.empty()))
        taken = queue_send_bytes(*sock, op);
    if (taken != 0 && taken != WSAENOBUFS) {
        on_connection_failed(*sock, taken); // the kernel reported it to this call only
        taken = connection_error(taken);
    }
    // A ring that could not be set up, or a buffer riosp cannot copy from, ends the call with
    // what the kernel took, if anything: a short send.
    if (sock->ops.send.empty() && (op.transferred == total || (taken != 0 && op.transferred > 0))) {
        if (!op.counted_by_ring)
            apply_and_act(*sock, HalfCloseEvent::send_done);
        int err = finished_now(op, c, 0);
        return err == 0 ? 0 : fail(lpErrno, err);
    }
    if (taken != 0 || (!op.overlapped && sock->non_blocking)) {
        // Non-blocking: report what was taken; nothing at all is WSAEWOULDBLOCK.
        if (!op.counted_by_ring)
            apply_and_act(*sock, HalfCloseEvent::send_done);
        if (taken != 0)
            return fail(lpErrno, taken);
        if (op.transferred > 0) {
            if (c.bytes_out != nullptr)
                *c.bytes_out = op.transferred;
            return 0;
        }
        sock->write_blocked = true;
        return fail(lpErrno, WSAEWOULDBLOCK);
    }
    if (const int err = sock->ops.send.reserve_one()) {
        if (!op.counted_by_ring)
            apply_and_act(*sock, HalfCloseEvent::send_done);
        return fail(lpErrno, err);
    }
    PendingOp& queued = sock->ops.send.push();
    queued = op;
    if (op.overlapped) {
        mark_pending(c.ov);
        return fail(lpErrno, WSA_IO_PENDING);
    }
    // Blocking: wait for the worker to move the rest into the ring.
    return wait_blocking(*sock, queued, lock, c, lpErrno);
}

// The receive flags riosp honours (WSARecv's lpFlags): MSG_PEEK, and on a blocking stream socket
// MSG_WAITALL; WSAEOPNOTSUPP for MSG_OOB (no urgent data on the rings) and for MSG_WAITALL with
// MSG_PEEK or on a non-blocking socket, as Windows documents. Others are ignored.
int receive_flags(const Socket& s, LPDWORD flags_io, DWORD& flags) noexcept {
    flags = flags_io != nullptr ? *flags_io & (MSG_OOB | MSG_PEEK | MSG_WAITALL) : 0;
    if ((flags & MSG_OOB) != 0)
        return WSAEOPNOTSUPP;
    if ((flags & MSG_WAITALL) != 0 &&
        ((flags & MSG_PEEK) != 0 || s.non_blocking.load(std::memory_order_relaxed)))
        return WSAEOPNOTSUPP;
    return 0;
}

int recv_call(Socket& socket, SOCKET s, const Call& c, LPDWORD flags_io, LPINT lpErrno) {
    Socket* sock = &socket;
    Call call = c;
    if (int err = receive_flags(*sock, flags_io, call.flags))
        return fail(lpErrno, err);
    std::uint64_t total = 0;
    if (int err = check_buffers(call, total))
        return fail(lpErrno, err);
    if (total > max_call_bytes)
        return fail(lpErrno, WSAEFAULT); // its count could not be reported
    SocketLock lock(sock->mutex);
    if (sock->app_rio)
        return fail(lpErrno, WSAEINVAL);
    HalfCloseResult r = sock->state.apply(HalfCloseEvent::begin_recv);
    if (!r.ok())
        return fail(lpErrno, r.error);
    if (flags_io != nullptr)
        *flags_io = 0;
    // A zero-byte receive waits for data through the ring (the IOCP readiness idiom); any other
    // with nothing before it goes to the kernel from this thread.
    const bool has_room = total > 0;
    if (!r.has(HalfCloseAction::complete_eof) && call.ov == nullptr && !sock->non_blocking &&
        has_room && can_receive_in_caller(*sock))
        return receive_in_caller(*sock, call, total, lock, lpErrno);
    PendingOp op;
    op.handle = s;
    fill(op, call);
    if (r.has(HalfCloseAction::complete_eof)) // the stream ended: 0 bytes, not counted
        return finished_now(op, c, 0);
    // MSG_WAITALL may take bytes now and wait for the rest: its whole room is looked at first, so
    // that a bad buffer fails before a byte is taken. Any other receive takes bytes only once
    // (give_recv_bytes asks about what it copies), or waits for nothing.
    if (waits_all(op) && !app_room_writable(buffers_of(op), 0)) {
        apply_and_act(*sock, HalfCloseEvent::io_done);
        return fail(lpErrno, WSAEFAULT);
    }
    if (sock->ops.recv.empty() && (!sock->recv_ring.empty() || sock->state.load().fin_arrived())) {
        if (const int err = give_recv_bytes(*sock, op)) { // the ring's bytes stay
            apply_and_act(*sock, HalfCloseEvent::io_done);
            return fail(lpErrno, err);
        }
        ring_consumed(*sock);
        if (!waits_all(op) || op.transferred == total || sock->state.load().fin_arrived()) {
            apply_and_act(*sock, HalfCloseEvent::io_done);
            return finished_now(op, c, 0);
        }
    }
    // Non-blocking or overlapped: what the kernel holds now, in this call.
    if (has_room && can_receive_in_caller(*sock)) {
        if (const int err = receive_now(*sock, op);
            err != WSAEWOULDBLOCK && (err != 0 || !waits_all(op) || op.transferred == total ||
                                      sock->state.load().fin_arrived())) {
            apply_and_act(*sock, HalfCloseEvent::io_done);
            return err == 0 ? finished_now(op, c, 0) : fail(lpErrno, err);
        }
    }
    if (!op.overlapped && sock->non_blocking) {
        apply_and_act(*sock, HalfCloseEvent::io_done);
        return fail(lpErrno, WSAEWOULDBLOCK);
    }
    // Queued: a worker copies bytes from the ring into its buffers later, at most the ring's
    // size, so a bad buffer fails now, at the call, as on Windows (MSG_WAITALL's was looked at
    // above).
    int err =
        !waits_all(op) && !app_room_writable(buffers_of(op), 0, recv_ring_bytes) ? WSAEFAULT : 0;
    if (err == 0)
        err = sock->ops.recv.reserve_one();
    if (err == 0)
        err = ensure_request_queue(*sock);
    if (err != 0) {
        apply_and_act(*sock, HalfCloseEvent::io_done);
        // A MSG_WAITALL receive that cannot wait for the rest keeps the bytes it took: short.
        return op.transferred > 0 ? finished_now(op, c, 0) : fail(lpErrno, err);
    }
    PendingOp& queued = sock->ops.recv.push();
    queued = op;
    pump_recv(*sock); // receives are demand-driven: this op asks the ring for bytes
    if (op.overlapped) {
        mark_pending(c.ov);
        return fail(lpErrno, WSA_IO_PENDING);
    }
    return wait_blocking(*sock, queued, lock, c, lpErrno);
}

} // namespace

int WSPAPI WSPSend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
                   DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine, LPWSATHREADID lpThreadId,
                   LPINT lpErrno) {
    return WSPSendTo(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, nullptr, 0,
                     lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
}

int WSPAPI WSPSendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
                     DWORD dwFlags, const sockaddr* lpTo, int iTolen, LPWSAOVERLAPPED lpOverlapped,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                     LPWSATHREADID lpThreadId, LPINT lpErrno) {
    if ((dwFlags & MSG_OOB) != 0)
        return fail(lpErrno, WSAEOPNOTSUPP);
    const Call call{lpBuffers,    dwBufferCount,       lpNumberOfBytesSent, dwFlags,
                    lpOverlapped, lpCompletionRoutine, lpThreadId};
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (sock->datagram())
        return datagram_send(*sock, s, call, lpTo, iTolen, lpErrno);
    // On a connected stream socket the destination is ignored (as Windows does for TCP).
    return send_call(*sock, s, call, lpErrno);
}

int WSPAPI WSPRecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
                   LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine, LPWSATHREADID lpThreadId,
                   LPINT lpErrno) {
    return WSPRecvFrom(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, nullptr, nullptr,
                       lpOverlapped, lpCompletionRoutine, lpThreadId, lpErrno);
}

int WSPAPI WSPRecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
                       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, sockaddr* lpFrom,
                       LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       LPWSATHREADID lpThreadId, LPINT lpErrno) {
    const Call call{lpBuffers,           dwBufferCount, lpNumberOfBytesRecvd, 0, lpOverlapped,
                    lpCompletionRoutine, lpThreadId};
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (sock->datagram())
        return datagram_recv(*sock, s, call, lpFrom, lpFromlen, lpFlags, lpErrno);
    // Connected TCP: the source is the peer; Windows leaves lpFrom untouched for streams.
    return recv_call(*sock, s, call, lpFlags, lpErrno);
}

BOOL WSPAPI WSPGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
                                   BOOL fWait, LPDWORD lpdwFlags, LPINT lpErrno) {
    (void)s; // the result lives in the WSAOVERLAPPED, even after the socket was closed
    if (lpOverlapped == nullptr || lpcbTransfer == nullptr || lpdwFlags == nullptr) {
        fail(lpErrno, WSAEFAULT);
        return FALSE;
    }
    if (overlapped_status(lpOverlapped) == WSA_IO_PENDING) {
        if (!fWait) {
            fail(lpErrno, WSA_IO_INCOMPLETE);
            return FALSE;
        }
        wait_overlapped(lpOverlapped);
    }
    *lpcbTransfer = overlapped_bytes(lpOverlapped);
    *lpdwFlags = overlapped_flags(lpOverlapped);
    int status = overlapped_status(lpOverlapped);
    if (status != 0) {
        fail(lpErrno, status);
        return FALSE;
    }
    return TRUE;
}

} // namespace riosp::provider
