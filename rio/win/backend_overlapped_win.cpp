// Windows fallback backend, for where the system has no RIO function table (Windows before 8 /
// Server 2012, and Wine): RIO semantics over overlapped WSASend/WSARecv whose completions go to
// the process's one completion port (port_win.cpp), drained by its thread. Each direction keeps one
// operation in flight (its OVERLAPPED lives in the direction, so posting allocates nothing): a send
// completes whole or fails, a RIO_MSG_WAITALL receive is re-posted for the rest, and requests of a
// direction complete strictly in order, as RIO's do. Everything a completion changes happens under
// the CQ's lock.
#include <rio/win/detail_win.h>

#include <algorithm>
#include <cstring>

namespace riosp::rio::detail {
namespace {

SOCKET socket_of(const Dir& d) noexcept {
    return static_cast<SOCKET>(d.rq->fd);
}

int aborted_or(int status) noexcept {
    return status == ERROR_OPERATION_ABORTED ? wsa::operation_aborted : status;
}

// One WSASend / WSARecv for the head, or on a datagram RQ with an address WSASendTo (the
// slice, pinned until dequeue, is already in Windows' layout) / WSARecvFrom (the source lands
// in the direction's block and is copied to the slice at completion): 0 or the WSA code.
int post_locked(Dir& d, const Slot& s) noexcept {
    DWORD flags = 0;
    int rc = 0;
    if (s.address == nullptr) {
        rc = d.is_send ? WSASend(socket_of(d), &d.io.buf, 1, nullptr, 0, &d.io.ov, nullptr)
                       : WSARecv(socket_of(d), &d.io.buf, 1, nullptr, &flags, &d.io.ov, nullptr);
    } else if (d.is_send) {
        rc = WSASendTo(socket_of(d), &d.io.buf, 1, nullptr, 0,
                       reinterpret_cast<const sockaddr*>(s.address),
                       static_cast<int>(win_address_length(s.address)), &d.io.ov, nullptr);
    } else {
        d.io.from_length = sizeof d.io.from;
        rc = WSARecvFrom(socket_of(d), &d.io.buf, 1, nullptr, &flags,
                         reinterpret_cast<sockaddr*>(&d.io.from), &d.io.from_length, &d.io.ov,
                         nullptr);
    }
    return rc == 0 ? 0 : WSAGetLastError();
}

// A datagram's operation ended: never re-posted (a send went whole, a receive took one
// datagram; a longer one ended with WSAEMSGSIZE and the buffer's length, Windows' own report).
void finish_datagram_locked(Dir& d, int status, DWORD bytes) noexcept {
    const Slot& s = d.slot(d.head);
    if (!d.is_send && s.address != nullptr && (status == 0 || status == wsa::emsgsize)) {
        std::memset(s.address, 0, kSockaddrInetLen);
        std::memcpy(
            s.address, &d.io.from,
            std::min<std::size_t>(kSockaddrInetLen, static_cast<std::size_t>(d.io.from_length)));
    }
    complete_head_locked(d, aborted_or(status), bytes);
}

// Starts the head request if nothing of this direction is in flight; requests that fail at
// once complete at once, and the next is tried.
void start_locked(Dir& d) noexcept {
    while (d.inflight == 0 && d.head < d.committed) {
        if (d.head < d.cancel_upto) {
            cancel_pending_locked(d);
            continue;
        }
        Slot& s = d.slot(d.head);
        d.io.ov = OVERLAPPED{};
        d.io.dir = &d;
        d.io.buf.buf = s.data + s.done;
        d.io.buf.len = s.length - s.done;
        const int err = post_locked(d, s);
        if (err == 0 || err == WSA_IO_PENDING) {
            // Even an immediate success posts its packet to the port: one path for results.
            d.inflight = 1;
            d.submitted = d.head + 1;
            return;
        }
        complete_head_locked(d, aborted_or(err), s.done);
    }
}

// The head's operation ended with `status` after moving `bytes`.
void finish_head_locked(Dir& d, int status, DWORD bytes) noexcept {
    if (d.rq->datagram) {
        finish_datagram_locked(d, status, bytes);
        return;
    }
    Slot& s = d.slot(d.head);
    s.done += bytes;
    if (status != 0) {
        complete_head_locked(d, aborted_or(status), s.done);
        return;
    }
    const bool whole = s.done == s.length;
    if (d.is_send ? whole : (bytes == 0 || (s.flags & RIO_MSG_WAITALL) == 0 || whole)) {
        complete_head_locked(d, 0, s.done); // bytes == 0 on a receive: the peer's FIN
        return;
    }
    // A short send or a WAITALL receive that is not full yet: re-posted for the rest, unless
    // cancel_all came in the meantime.
    if (d.head < d.cancel_upto)
        complete_head_locked(d, wsa::operation_aborted, s.done);
}

} // namespace

void overlapped_on_packet(const OVERLAPPED_ENTRY& entry) noexcept {
    auto* io = CONTAINING_RECORD(entry.lpOverlapped, OverlappedIo, ov);
    Dir& d = *io->dir; // alive: its RQ waits for inflight == 0 before going away
    std::lock_guard lock(d.cq->mu);
    DWORD bytes = 0;
    DWORD flags = 0;
    const int status = WSAGetOverlappedResult(socket_of(d), &io->ov, &bytes, FALSE, &flags)
                           ? 0
                           : WSAGetLastError();
    d.inflight = 0;
    // Aborted without cancel_all: someone cancelled the socket's I/O (CancelIoEx on the socket,
    // as the native backend cancels over a RIO table that is this one, the tests' double).
    // What waits behind it is cancelled too, as it would be on a system RQ, rather than
    // started on a socket whose owner wanted its I/O stopped.
    if (status == ERROR_OPERATION_ABORTED && d.head >= d.cancel_upto)
        d.cancel_upto = d.tail;
    finish_head_locked(d, status, bytes);
    start_locked(d);
}

int overlapped_open(Cq&) noexcept {
    return port_retain();
}

void overlapped_close(Cq&) noexcept {
    port_release();
}

int overlapped_attach(Rq& rq) noexcept {
    const auto socket = reinterpret_cast<HANDLE>(static_cast<SOCKET>(rq.fd));
    if (CreateIoCompletionPort(socket, completion_port(), kOverlappedKey, 0) != nullptr)
        return 0;
    // A socket can be associated once: an earlier request queue of the same socket did it.
    // (Packets name their direction through the OVERLAPPED, not the key.)
    if (GetLastError() == ERROR_INVALID_PARAMETER)
        return 0;
    return wsa::enobufs;
}

void overlapped_commit_locked(Dir& d) noexcept {
    d.cq->submits.fetch_add(1, std::memory_order_relaxed);
    start_locked(d);
}

void overlapped_cancel_locked(Dir& d) noexcept {
    if (d.inflight != 0) {
        // Its packet completes it (995, or its result if it finished first); the requests
        // behind it are cancelled then.
        CancelIoEx(reinterpret_cast<HANDLE>(socket_of(d)), &d.io.ov);
        return;
    }
    cancel_pending_locked(d);
}

} // namespace riosp::rio::detail
