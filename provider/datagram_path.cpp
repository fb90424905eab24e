// provider/datagram_path.h. Who waits where follows the stream's rule (data_path.cpp): the
// thread that blocks is the thread the kernel wakes. A datagram the kernel takes or holds at once
// moves between the application's buffers and the kernel inside the call (sendmsg / recvmsg with
// the address, MSG_DONTWAIT); a blocking receive with nothing before it waits in its own thread;
// the rest goes through the socket's request queue, one datagram in flight per direction.
#include "datagram_path.h"

#include "caller_wait.h"
#include "completion.h"
#include "provider_state.h"
#include "worker.h"
#include "wsp.h"

#include <gsl/gsl>

#include <algorithm>
#include <array>
#include <cstring>

namespace riosp::provider {
namespace {

// A Windows SOCKADDR_INET: the largest address a datagram carries here.
using AddressBytes = std::array<char, 28>;

// The Windows sockaddr length of an address family, 0 for a family riosp does not serve.
int family_length(int family) noexcept {
    return family == AF_INET    ? static_cast<int>(sizeof(sockaddr_in))
           : family == AF_INET6 ? static_cast<int>(sizeof(sockaddr_in6))
                                : 0;
}

// The length of an address by its family (sin_family and sin6_family share offset 0).
int address_length(const void* win_addr) noexcept {
    ADDRESS_FAMILY family = 0;
    std::memcpy(&family, win_addr, sizeof family);
    return family_length(family);
}

// What is wrong with a send's destination on a socket without a default peer: 0, WSAENOTCONN
// (none given), WSAEDESTADDRREQ (an empty one), WSAEAFNOSUPPORT (a family riosp does not serve),
// WSAEFAULT (shorter than its family's address).
int destination_error(const sockaddr* to, int to_len) noexcept {
    if (to == nullptr)
        return WSAENOTCONN;
    if (to_len <= 0)
        return WSAEDESTADDRREQ;
    if (to_len < 2)
        return WSAEFAULT;
    const int need = address_length(to);
    return need == 0 ? WSAEAFNOSUPPORT : to_len < need ? WSAEFAULT : 0;
}

// Winsock's "connect to the unspecified address": the socket forgets its default peer.
bool is_unspecified(const sockaddr* a, int len) noexcept {
    if (a->sa_family == AF_INET && len >= static_cast<int>(sizeof(sockaddr_in)))
        return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr == 0;
    if (a->sa_family == AF_INET6 && len >= static_cast<int>(sizeof(sockaddr_in6))) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(
            &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr);
        return std::all_of(bytes, bytes + 16, [](unsigned char b) { return b == 0; });
    }
    return false;
}

// Windows reports an ICMP "port unreachable" for a UDP socket's earlier datagram as
// WSAECONNRESET on its next call (Linux: ECONNREFUSED on a connected socket).
int datagram_error(int status) noexcept {
    return status == WSAECONNREFUSED ? WSAECONNRESET : status;
}

// Writes a datagram's source where the receive asked for it: 0, or WSAEFAULT when the
// application's buffer is too short for it. datagram_recv checked *from_len against the socket's
// family before any datagram was taken, so this only keeps a source of another length from
// overrunning the buffer.
int give_source(const void* win_addr, sockaddr* from, LPINT from_len) noexcept {
    if (from == nullptr)
        return 0;
    const int len = address_length(win_addr);
    if (len == 0)
        return 0; // no source (an interrupted wait): nothing to report
    if (*from_len < len)
        return WSAEFAULT;
    std::memcpy(from, win_addr, static_cast<std::size_t>(len));
    *from_len = len;
    return 0;
}

// Hands the datagram held in the receive area to `op`: its bytes (as many as fit), its source; a
// peek leaves it held. 0, WSAEMSGSIZE when it did not fit whole (the rest is discarded, as
// Winsock does, unless peeked), WSAEFAULT (buffers riosp cannot copy into: the datagram stays).
int give_held(Socket& s, PendingOp& op) noexcept {
    const char* src = s.recv_base();
    const auto fits = static_cast<DWORD>(std::min<std::uint64_t>(s.dgram_bytes, total_length(op)));
    if (!app_room_writable(buffers_of(op), 0, fits))
        return WSAEFAULT;
    DWORD copied = 0;
    for (DWORD i = 0; i < op.buf_count && copied < fits; ++i) {
        const DWORD n = std::min(fits - copied, op.bufs[i].len);
        std::memcpy(op.bufs[i].buf, src + copied, n);
        copied += n;
    }
    op.transferred = copied;
    if (!peeks(op))
        s.dgram_held = false;
    const int err = give_source(s.memory.get() + recv_address_offset, op.from, op.from_len);
    return err != 0 ? err : (fits < s.dgram_bytes || s.dgram_truncated) ? WSAEMSGSIZE : 0;
}

// Serves waiting receives from the held datagram, oldest first: a peek leaves it for the next;
// one whose buffer faults (taken away since its call) fails alone with WSAEFAULT.
void serve_datagram_recvs(Socket& s) noexcept {
    while (s.dgram_held && !s.ops.recv.empty()) {
        PendingOp op = s.ops.recv.front();
        s.ops.recv.pop();
        const int err = give_held(s, op);
        complete_op(s, op, err, false);
    }
    pump_datagram_recv(s);
}

// Copies `op`'s datagram into the send area and posts it (RIOSendEx to its destination, or to
// the default peer): 0 or the post's error. The send is the application's no longer: done once
// posted, as a stream's send is done once its bytes are in the ring. And as the stream's ring
// does, the area then holds the op's pending send in the state machine (ring_counted) until the
// datagram has left, so that a close releases the socket only after it: a datagram the
// application was told is sent is sent.
int post_datagram(Socket& s, PendingOp& op) noexcept {
    if (!app_bytes_readable(buffers_of(op), 0))
        return WSAEFAULT; // riosp copies the datagram itself: the kernel cannot say it
    DWORD at = 0;
    for (DWORD i = 0; i < op.buf_count; ++i) {
        std::memcpy(s.send_base() + at, op.bufs[i].buf, op.bufs[i].len);
        at += op.bufs[i].len;
    }
    const RIO_BUF data = s.registration->slice(0, at);
    RIO_BUF to{};
    if (op.to_len > 0) {
        std::memcpy(s.memory.get() + send_address_offset, op.to.data(),
                    static_cast<std::size_t>(op.to_len));
        to = s.registration->slice(send_address_offset, address_slot_bytes);
    }
    const int err = s.rq->send_ex(std::span<const RIO_BUF>(&data, 1), op.to_len > 0 ? &to : nullptr,
                                  0, send_context(s));
    if (err != 0)
        return err;
    s.send_in_flight = std::max<DWORD>(at, 1); // an empty datagram is in flight too
    ++s.io_in_flight;
    op.transferred = at;
    s.ring_counted = true;
    op.counted_by_ring = true;
    return 0;
}

void pump_datagram_send(Socket& s) noexcept {
    while (s.send_in_flight == 0 && !s.ops.send.empty() && s.rq && !releasing(s)) {
        PendingOp op = s.ops.send.front();
        s.ops.send.pop();
        const int err = post_datagram(s, op);
        complete_op(s, op, err, true);
    }
}

// A blocking receive with nothing before it: one recvmsg in the calling thread's own wait,
// straight into the application's buffers, as for a stream (wsp_data.cpp, receive_in_caller).
int receive_in_caller(Socket& s, const Call& c, sockaddr* from, LPINT from_len, SocketLock& lock,
                      LPINT lpErrno) noexcept {
    ReceiveParts parts; // [0, n) only
    const std::size_t n = parts_after(std::span<const WSABUF>(c.buffers, c.count), 0, parts);
    AddressBytes source{};
    int source_len = static_cast<int>(source.size());
    std::size_t got = 0;
    const rio::net::Receive take_or_peek = kernel_receive(c.flags);
    const int error = receive_in_caller_wait(
        s, lock,
        [&](rio::net::NativeSocket fd, std::chrono::microseconds spin, int& err) {
            // The source only when the application asked for it: the kernel then skips it.
            auto r = rio::caller::receive_from(fd, std::span(parts.data(), n),
                                               from != nullptr ? source.data() : nullptr,
                                               &source_len, spin, s.wait, take_or_peek);
            if (!r.ok()) {
                err = r.error();
                return false;
            }
            got = r.value().bytes;
            err = give_source(source.data(), from, from_len);
            if (err == 0 && r.value().truncated)
                err = WSAEMSGSIZE;
            return true;
        },
        [](int err) { return datagram_error(err); }); // WSAEINTR when a close ended the wait
    if (c.bytes_out != nullptr)
        *c.bytes_out = gsl::narrow_cast<DWORD>(got);
    return error == 0 ? 0 : fail(lpErrno, error);
}

// What the kernel holds for this receive now: 0 / WSAEMSGSIZE (op.transferred bytes),
// WSAEWOULDBLOCK, or the receive's error.
int receive_now(Socket& s, PendingOp& op) noexcept {
    ReceiveParts parts; // [0, n) only
    const std::size_t n = parts_after(buffers_of(op), 0, parts);
    AddressBytes source{};
    int source_len = static_cast<int>(source.size());
    rio::net::Datagram got;
    const int err = rio::net::recv_from_now(s.fd, std::span(parts.data(), n),
                                            op.from != nullptr ? source.data() : nullptr,
                                            &source_len, got, kernel_receive(op.flags));
    if (err != 0)
        return err == WSAEWOULDBLOCK ? err : datagram_error(err);
    op.transferred = gsl::narrow_cast<DWORD>(got.bytes);
    const int bad_source = give_source(source.data(), op.from, op.from_len);
    return bad_source != 0 ? bad_source : got.truncated ? WSAEMSGSIZE : 0;
}

// The call's end once its op finished inside it: 0, or SOCKET_ERROR with the op's error. A
// datagram that moved (0, or a receive's WSAEMSGSIZE with the bytes of a cut one) is reported
// through the overlapped structure too; any other error is a call that failed, and Windows then
// gives no completion indication at all: no event, no routine, no IOCP packet (the application
// may reuse its WSAOVERLAPPED at once).
int ended(PendingOp& op, const Call& c, int error, LPINT lpErrno) noexcept {
    if (error != 0 && error != WSAEMSGSIZE)
        return fail(lpErrno, error);
    const int err = finished_now(op, c, error);
    return err == 0 ? 0 : fail(lpErrno, err);
}

// A send's end inside the call: a send that failed moved nothing, WSAEMSGSIZE included (the
// kernel refused the datagram whole), so no completion indication either.
int send_ended(PendingOp& op, const Call& c, int error, LPINT lpErrno) noexcept {
    return error == 0 ? ended(op, c, 0, lpErrno) : fail(lpErrno, error);
}

} // namespace

int datagram_send(Socket& s, SOCKET handle, const Call& c, const sockaddr* to, int to_len,
                  LPINT lpErrno) noexcept {
    std::uint64_t total = 0;
    if (const int err = check_buffers(c, total))
        return fail(lpErrno, err);
    const std::span<const WSABUF> bufs(c.buffers, c.count);
    // UDP's limit (65,535 less the IP and UDP headers; IPv6 has no IP header in the count),
    // checked here so that a datagram the kernel would refuse is refused whichever path it takes.
    if (total > (s.family == AF_INET6 ? 65527u : 65507u))
        return fail(lpErrno, WSAEMSGSIZE);
    SocketLock lock(s.mutex);
    if (s.app_rio)
        return fail(lpErrno, WSAEINVAL); // its data path belongs to the application's RIO queue
    if (const HalfCloseResult r = s.state.apply(HalfCloseEvent::begin_send); !r.ok())
        return fail(lpErrno, r.error); // WSAESHUTDOWN after SD_SEND
    const bool peer = s.dgram_peer();
    if (const int err = peer ? 0 : destination_error(to, to_len)) {
        apply_and_act(s, HalfCloseEvent::send_done);
        return fail(lpErrno, err);
    }
    const bool area_free = s.ops.send.empty() && s.send_in_flight == 0;
    if (area_free && !worker_pool().datagram_sends_through_ring()) {
        SendParts parts; // [0, n) only
        std::size_t n = 0;
        for (const WSABUF& b : bufs)
            parts[n++] = rio::net::ConstBytes{b.buf, b.len};
        std::size_t sent = 0;
        const int err = rio::net::send_to_now(s.fd, std::span(parts.data(), n), peer ? nullptr : to,
                                              to_len, sent);
        if (err != WSAEWOULDBLOCK) {
            apply_and_act(s, HalfCloseEvent::send_done);
            if (c.ov == nullptr) { // the common case needs no operation record
                if (err != 0)
                    return fail(lpErrno, datagram_error(err));
                if (c.bytes_out != nullptr)
                    *c.bytes_out = gsl::narrow_cast<DWORD>(sent);
                return 0;
            }
            PendingOp op;
            op.handle = handle;
            fill(op, c);
            op.transferred = gsl::narrow_cast<DWORD>(sent);
            return send_ended(op, c, datagram_error(err), lpErrno);
        }
    }
    // The kernel has no room now (or datagrams wait before this one): through the ring. A
    // non-blocking send takes the send area if it is free, and only waits for nothing.
    if (c.ov == nullptr && s.non_blocking && !area_free) {
        apply_and_act(s, HalfCloseEvent::send_done);
        s.write_blocked = true; // FD_WRITE once the send area is free again
        return fail(lpErrno, WSAEWOULDBLOCK);
    }
    PendingOp op;
    op.handle = handle;
    fill(op, c);
    // Always an explicit destination on the ring: the default peer may change before it leaves.
    const void* dest = peer ? static_cast<const void*>(s.dgram_peer_addr.data()) : to;
    op.to_len = peer ? s.dgram_peer_len : address_length(to);
    std::memcpy(op.to.data(), dest, static_cast<std::size_t>(op.to_len));
    int err = ensure_request_queue(s);
    if (err == 0 && area_free) {
        err = post_datagram(s, op);
        if (!op.counted_by_ring)
            apply_and_act(s, HalfCloseEvent::send_done);
        return send_ended(op, c, err, lpErrno);
    }
    // Queued: riosp copies the datagram from a worker later, so a bad buffer fails now, at the
    // call, as on Windows.
    if (err == 0 && !app_bytes_readable(bufs, 0))
        err = WSAEFAULT;
    if (err == 0)
        err = s.ops.send.reserve_one();
    if (err != 0) {
        apply_and_act(s, HalfCloseEvent::send_done);
        return fail(lpErrno, err);
    }
    PendingOp& queued = s.ops.send.push();
    queued = op;
    if (op.overlapped) {
        mark_pending(c.ov);
        return fail(lpErrno, WSA_IO_PENDING);
    }
    return wait_blocking(s, queued, lock, c, lpErrno);
}

int datagram_recv(Socket& s, SOCKET handle, const Call& c, sockaddr* from, LPINT from_len,
                  LPDWORD flags_io, LPINT lpErrno) noexcept {
    // MSG_PEEK is honoured; MSG_OOB (no urgent data) and MSG_WAITALL ("not supported on
    // datagram sockets") are refused, as Windows does.
    const DWORD flags = flags_io != nullptr ? *flags_io : 0;
    if ((flags & (MSG_OOB | MSG_WAITALL)) != 0)
        return fail(lpErrno, WSAEOPNOTSUPP);
    Call call = c;
    call.flags = flags & MSG_PEEK;
    std::uint64_t total = 0;
    if (const int err = check_buffers(call, total))
        return fail(lpErrno, err);
    // The source's room is checked before a datagram is taken, as Windows does: found short
    // only once a datagram was taken, the datagram would be lost with the call.
    if (from != nullptr && (from_len == nullptr || *from_len < family_length(s.family)))
        return fail(lpErrno, WSAEFAULT);
    SocketLock lock(s.mutex);
    if (s.app_rio)
        return fail(lpErrno, WSAEINVAL);
    if (const HalfCloseResult r = s.state.apply(HalfCloseEvent::begin_recv); !r.ok())
        return fail(lpErrno, r.error); // WSAESHUTDOWN after SD_RECEIVE
    if (flags_io != nullptr)
        *flags_io = 0;
    const bool nothing_before =
        s.ops.recv.empty() && !s.recv_in_flight && !s.dgram_held && !receives_in_caller(s);
    if (nothing_before && call.ov == nullptr && !s.non_blocking) // the common case: no record
        return receive_in_caller(s, call, from, from_len, lock, lpErrno);
    PendingOp op;
    op.handle = handle;
    fill(op, call);
    op.from = from;
    op.from_len = from_len;
    if (s.ops.recv.empty() && s.dgram_held) { // a datagram the ring took in is first
        const int err = give_held(s, op);
        pump_datagram_recv(s);
        apply_and_act(s, HalfCloseEvent::io_done);
        return ended(op, call, err, lpErrno);
    }
    if (nothing_before) {
        if (const int err = receive_now(s, op); err != WSAEWOULDBLOCK) {
            apply_and_act(s, HalfCloseEvent::io_done);
            return ended(op, call, err, lpErrno);
        }
    }
    if (call.ov == nullptr && s.non_blocking) {
        apply_and_act(s, HalfCloseEvent::io_done);
        return fail(lpErrno, WSAEWOULDBLOCK);
    }
    // Queued: a worker copies the datagram into its buffers later (at most the receive area's
    // size), so a bad buffer fails now, at the call, as on Windows.
    int err = app_room_writable(buffers_of(op), 0, recv_ring_bytes) ? 0 : WSAEFAULT;
    if (err == 0)
        err = s.ops.recv.reserve_one();
    if (err == 0)
        err = ensure_request_queue(s);
    if (err != 0) {
        apply_and_act(s, HalfCloseEvent::io_done);
        return fail(lpErrno, err);
    }
    PendingOp& queued = s.ops.recv.push();
    queued = op;
    pump_datagram_recv(s);
    if (op.overlapped) {
        mark_pending(call.ov);
        return fail(lpErrno, WSA_IO_PENDING);
    }
    return wait_blocking(s, queued, lock, call, lpErrno);
}

int datagram_connect(Socket& s, const sockaddr* name, int name_len) noexcept {
    SocketLock lock(s.mutex);
    if (!SocketTable::is_live(s))
        return WSAENOTSOCK; // closed since WSPConnect looked it up
    if (name_len < 2)
        return WSAEFAULT;
    if (name->sa_family != s.family)
        return WSAEAFNOSUPPORT;
    if (is_unspecified(name, name_len)) {
        const int err = rio::net::dissolve_peer(s.fd, s.family);
        if (err == 0)
            s.dgram_peer_len = 0;
        return err;
    }
    const int err = rio::net::connect(s.fd, name, name_len);
    if (err == 0) {
        s.dgram_peer_len = address_length(name);
        std::memcpy(s.dgram_peer_addr.data(), name, static_cast<std::size_t>(s.dgram_peer_len));
    }
    return err;
}

void pump_datagram_recv(Socket& s) noexcept {
    if (s.recv_in_flight || s.dgram_held || !s.rq || releasing(s))
        return;
    if (s.ops.recv.empty() && (s.event_mask & FD_READ) == 0)
        return; // demand-driven, as for streams: nobody waits for a datagram
    if (defer_to_caller_receives(s))
        return; // a receive issued before waits in its own thread: the next datagram is its
    const RIO_BUF data = s.registration->slice(send_ring_bytes, recv_ring_bytes);
    const RIO_BUF source = s.registration->slice(recv_address_offset, address_slot_bytes);
    const int err =
        s.rq->receive_ex(std::span<const RIO_BUF>(&data, 1), &source, 0, recv_context(s));
    if (err == 0) {
        s.recv_in_flight = true;
        ++s.io_in_flight;
    } else if (!s.ops.recv.empty()) { // the waiting receive learns why
        PendingOp op = s.ops.recv.front();
        s.ops.recv.pop();
        complete_op(s, op, err, false);
    }
}

void on_datagram_send_completion(Socket& s, int status) noexcept {
    // The application's send completed when it was posted; a later error of the kernel's (an
    // ICMP report) reaches the next receive, as on Windows.
    (void)status;
    --s.io_in_flight;
    s.send_in_flight = 0;
    if (s.ring_counted) { // the datagram left: its send is done (post_datagram)
        s.ring_counted = false;
        apply_and_act(s, HalfCloseEvent::send_done);
    }
    pump_datagram_send(s);
    if (s.write_blocked && s.send_in_flight == 0) {
        s.write_blocked = false;
        raise_event(s, FD_WRITE_BIT, 0);
    }
    recycle_if_idle(s);
}

void on_datagram_recv_completion(Socket& s, int status, DWORD bytes) noexcept {
    --s.io_in_flight;
    s.recv_in_flight = false;
    if (status == 0 || status == WSAEMSGSIZE) {
        s.dgram_held = true;
        s.dgram_bytes = bytes;
        s.dgram_truncated = status == WSAEMSGSIZE;
        raise_event(s, FD_READ_BIT, 0);
        serve_datagram_recvs(s);
    } else if (status == WSA_OPERATION_ABORTED) {
        resume_incoming_after_abort(s);
    } else if (!s.ops.recv.empty()) {
        // An error the kernel reported for the socket (an ICMP error on a connected one): the
        // oldest waiting receive gets it, the next ones wait on.
        PendingOp op = s.ops.recv.front();
        s.ops.recv.pop();
        complete_op(s, op, datagram_error(status), false);
        pump_datagram_recv(s);
    }
    recycle_if_idle(s);
}

bool datagram_readable(const Socket& s, bool& ask_kernel) noexcept {
    // A receive waiting in the kernel in its own thread takes the kernel's next datagram first.
    ask_kernel = !s.dgram_held && !s.recv_in_flight && s.ops.recv.empty() && !receives_in_caller(s);
    return s.dgram_held;
}

int datagram_readable_bytes(Socket& s, int& bytes) noexcept {
    if (s.dgram_held) {
        bytes = gsl::narrow_cast<int>(s.dgram_bytes);
        return 0;
    }
    return rio::net::readable_bytes(s.fd, bytes);
}

} // namespace riosp::provider
