// The data path of a connected socket.
//
// Who waits where (the rule: the thread that blocks is the thread the kernel wakes):
// - Receive: a blocking receive with nothing buffered and nothing queued before it waits in its
//   own thread (rio/caller.h: the plain blocking recvmsg on Linux, readiness waits in slices on
//   Windows), straight into the application's buffers; a non-blocking or overlapped one first
//   asks the kernel at once (MSG_DONTWAIT). Only what cannot finish so goes through the ring: a
//   RIO receive into the free part of the receive ring is in flight while an overlapped receive
//   waits, or while the application selected FD_READ/FD_CLOSE (then, as Winsock does, data is
//   taken in as it comes, even after SD_RECEIVE, which changes nothing on the wire:
//   docs/half-close.md, D8). Application receives are served from the ring first; a completion
//   with 0 bytes is the peer's FIN.
//   Receives stay in call order: a blocking one queues behind receives already waiting, and
//   while a receive waits in the kernel in its own thread no ring receive is posted
//   (defer_to_caller_receives): the last such receive to leave posts it.
// - Buffers: riosp copies between the application's buffers and its rings only after asking
//   the kernel about their memory (app_bytes_readable / app_room_writable), at the call and again
//   on a worker; the kernel's own sends and receives from those buffers need no such look.
// - Send: with the ring empty and no RIO send in flight, the kernel first gets the bytes
//   straight from the application's buffers (send_inline: what it takes at once). The rest is
//   copied into the send ring and one RIO send at a time carries the oldest contiguous run to
//   the kernel, so bytes go out in order even if the kernel takes a send only partly. An
//   application send completes once all of its bytes are in the kernel or the ring.
// - The ring's memory, its registration and the socket's RIO request queue are set up at their
//   first use (ensure_request_queue), so a socket whose calls all finish in the caller never
//   touches a worker, and closing it is a plain close: nothing is in flight to cancel.
// - FIN ordering: while the ring holds bytes it holds one of the state machine's pending sends
//   (`ring_counted`), so the machine can only say issue_fin once the ring has drained.
#include "data_path.h"

#include "caller_wait.h"
#include "completion.h"
#include "datagram_path.h"
#include "provider_state.h"
#include "selectors.h"
#include "upcalls.h"
#include "worker.h"

#include <rio/rio_table.h>

#include <gsl/gsl>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>

namespace riosp::provider {
namespace {

enum : std::uintptr_t { tag_send = 1, tag_recv = 2, tag_mask = 3 };

void* tagged(Socket& s, std::uintptr_t tag) noexcept {
    return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(&s) | tag);
}

} // namespace

void* send_context(Socket& s) noexcept {
    return tagged(s, tag_send);
}
void* recv_context(Socket& s) noexcept {
    return tagged(s, tag_recv);
}

namespace {

void drop_send_ring(Socket& s) noexcept {
    s.send_ring.consume(s.send_ring.used());
    if (s.ring_counted) {
        s.ring_counted = false;
        apply_and_act(s, HalfCloseEvent::send_done);
    }
}

} // namespace

void release(Socket& s, bool abortive) noexcept {
    s.rq.reset(); // every request has completed (or its queue is gone): nothing uses the fd
    if (s.app_rq != RIO_INVALID_RQ) {
        rio::close_request_queue(s.app_rq); // the application's queue dies with its socket
        s.app_rq = RIO_INVALID_RQ;
    }
    rio::net::close(s.fd, abortive);
    s.fd = rio::net::invalid_socket;
    drop_held_connections(s); // a listener's connections held for the next accept are reset
    s.io_in_flight = 0;
    s.followups.clear(); // nothing is outstanding after a release: none can be left
    // The state machine stays `closed` (terminal) until the slot's next life: a call still holding
    // the socket gets WSAENOTSOCK from it.
    socket_table().release(s);
}

void recycle_if_idle(Socket& s) noexcept {
    if (!releasing(s) || s.io_in_flight > 0 || s.released())
        return;
    // Bytes a ring receive brought in after the close are unread data too: reset (RFC 1122
    // 4.2.2.13, as WSPCloseSocket decides for those already there).
    release(s, s.state.load().abortive() || !s.recv_ring.empty());
}

namespace {

void start_release(Socket& s) noexcept {
    if (s.io_in_flight > 0 && s.rq)
        s.rq->cancel_all(); // a ring receive (and, if abortive, a send) come back aborted
    recycle_if_idle(s);
}

// Whether the application asked for readiness events that need data taken in as it arrives.
bool wants_incoming(const Socket& s) noexcept {
    return (s.event_mask & (FD_READ | FD_CLOSE)) != 0;
}

} // namespace

namespace {

// The actions of one transition, in their order; the events they cause wait in s.followups.
void perform(Socket& s, const HalfCloseResult& r) noexcept {
    if (r.has(HalfCloseAction::abort_pending)) {
        interrupt_caller_waits(s);
        fail_pending(s, WSA_OPERATION_ABORTED);
    }
    if (r.has(HalfCloseAction::send_rst))
        drop_send_ring(s); // the kernel socket is closed abortively (state.abortive())
    if (r.has(HalfCloseAction::issue_fin)) {
#ifdef RIOSP_TEST_DELIBERATE_ALLOC
        // Test-only build: with RIOSP_CANARY_ALLOC_IN_CALLER set, one allocation in the calling
        // thread of the call that issues the FIN (WSASendDisconnect); riosp-load must fail it.
        if (std::getenv("RIOSP_CANARY_ALLOC_IN_CALLER") != nullptr) {
            void* (*volatile allocate)(std::size_t) = std::malloc;
            std::free(allocate(16));
        }
#endif
        // The ring is empty and no send is in flight. An application thread hands the FIN to
        // its worker when that one is spinning (busy-poll): the socket stays fin_issued, and
        // counted in flight so it cannot be recycled, until the worker has sent it.
        if (s.worker != nullptr && !s.worker->runs_here() && s.worker->defer_fin(s)) {
            ++s.io_in_flight;
        } else {
            (void)rio::net::shutdown_send(s.fd); // synchronous shutdown(SHUT_WR)
            apply_and_act(s, HalfCloseEvent::fin_sent);
        }
    }
    if (r.has(HalfCloseAction::raise_fd_close))
        raise_fd_close(s, r.after.reset() ? WSAECONNRESET : 0);
    if (r.has(HalfCloseAction::release_socket))
        start_release(s);
}

} // namespace

void act_on(Socket& s, const HalfCloseResult& r) noexcept {
    if (s.acting) { // inside another transition's actions: its loop takes the follow-ups
        perform(s, r);
        return;
    }
    s.acting = true;
    perform(s, r);
    // The follow-ups, one transition at a time, until the chain ends: no recursion however many
    // operations a close aborts (each completion is one io_done or send_done here).
    HalfCloseEvent e{};
    while (s.followups.take(e))
        perform(s, s.state.apply(e));
    s.acting = false;
}

void deliver(Socket& s, PendingOp& op, int error) noexcept {
    if (op.overlapped) {
        complete_overlapped(op, error, op.transferred);
    } else if (op.waiter != nullptr) {
        // A blocking call that a close ends fails with WSAEINTR (Windows Sockets 2, 2.7); an
        // overlapped one reports the abort itself.
        op.waiter->error = error == WSA_OPERATION_ABORTED ? WSAEINTR : error;
        op.waiter->bytes = op.transferred;
        op.waiter->done.store(true, std::memory_order_release);
        s.cv.notify_all();
    }
}

void complete_op(Socket& s, PendingOp& op, int error, bool is_send) noexcept {
    deliver(s, op, error);
    if (!(is_send && op.counted_by_ring))
        apply_and_act(s, is_send ? HalfCloseEvent::send_done : HalfCloseEvent::io_done);
}

void raise_event(Socket& s, int bit, int error) noexcept {
    const LONG mask = 1 << bit;
    s.event_errors[static_cast<std::size_t>(bit)] = error;
    if ((s.event_mask & mask) == 0 || (s.events_pending & mask) != 0)
        return;
    s.events_pending |= mask;
    signal_event(s.event);
}

int set_mode(Socket& s, bool non_blocking) noexcept {
    if (int err = rio::net::set_non_blocking(s.fd, non_blocking))
        return err;
    s.non_blocking.store(non_blocking, std::memory_order_relaxed);
    return 0;
}

int ensure_request_queue(Socket& s) noexcept {
    if (s.rq)
        return 0;
    if (!s.memory) {
        s.memory.reset(static_cast<char*>(heap::allocate_region(socket_region_bytes)));
        if (!s.memory)
            return WSAENOBUFS;
        auto reg =
            rio::RegisteredBuffer::create(std::span<char>(s.memory.get(), socket_region_bytes));
        if (!reg) {
            s.memory.reset();
            return reg.error();
        }
        s.registration = std::move(reg.value());
    }
    rio::CompletionQueue& cq = s.worker->completion_queue();
    auto rq = rio::RequestQueue::create(s.fd, 1, 1, 1, 1, cq, cq, &s);
    if (!rq)
        return rq.error();
    s.rq = std::move(rq.value());
    return 0;
}

int attach_data_path(Socket& s, SocketLock& lock) noexcept {
    (void)lock;
    s.send_ring.reset(send_ring_bytes);
    s.recv_ring.reset(recv_ring_bytes);
    return take_incoming(s);
}

int take_incoming(Socket& s) noexcept {
    if (!wants_incoming(s) || s.recv_in_flight)
        return 0;
    if (int err = ensure_request_queue(s))
        return err;
    if (s.datagram())
        pump_datagram_recv(s);
    else
        pump_recv(s);
    return 0;
}

void resume_incoming_after_abort(Socket& s) noexcept {
    if (!releasing(s) && !s.app_rio)
        (void)take_incoming(s); // as before that call: its error was its own, not the socket's
}

int connection_error(int status) noexcept {
    // A bad buffer is the caller's fault, not the connection's; any other failure of a send
    // or receive means the connection is gone, reported as Winsock does.
    if (status == WSAEFAULT || status == WSAECONNABORTED)
        return status;
    return WSAECONNRESET;
}

void on_peer_eof(Socket& s) noexcept {
    // Winsock records FD_CLOSE when the FIN arrives, data still buffered or not (the machine's
    // fin_arrived raises it); the application reads the rest, then gets 0 (the machine's
    // peer_fin comes then, ring_consumed).
    apply_and_act(s, HalfCloseEvent::fin_arrived);
    serve_recv_ops(s);
}

void ring_consumed(Socket& s) noexcept {
    pump_recv(s);
    if (s.recv_ring.empty() && s.state.load().fin_arrived())
        apply_and_act(s, HalfCloseEvent::peer_fin);
}

void on_connection_failed(Socket& s, int status) noexcept {
    if (status == WSAEFAULT)
        return; // the connection is fine
    s.so_error = connection_error(status);
    drop_send_ring(s);
    act_on(s, s.state.apply(HalfCloseEvent::peer_reset));
    fail_pending(s, connection_error(status));
}

int send_inline(Socket& s, std::span<const WSABUF> bufs, DWORD skip, DWORD& sent) noexcept {
    sent = 0;
    SendParts parts; // [0, n) only
    const std::size_t n = parts_after(bufs, skip, parts);
    if (n == 0)
        return 0;
    std::size_t taken = 0;
    const int err =
        rio::net::send_now(s.fd, std::span<const rio::net::ConstBytes>(parts.data(), n), taken);
    if (err == 0)
        sent = gsl::narrow_cast<DWORD>(taken);
    return err == WSAEWOULDBLOCK ? 0 : err;
}

int take_send_bytes(Socket& s, PendingOp& op) noexcept {
    if (s.send_ring.empty() && s.send_in_flight == 0 && !releasing(s)) {
        DWORD sent = 0;
        if (int err = send_inline(s, buffers_of(op), op.transferred, sent))
            return err;
        op.transferred += sent;
    }
    // The rest riosp copies itself, here on a worker: the buffer was good at the call, but the
    // application may have taken it away while the send waited.
    if (s.send_ring.free() > 0 &&
        !app_bytes_readable(buffers_of(op), op.transferred, s.send_ring.free()))
        return WSAEFAULT;
    return queue_send_bytes(s, op);
}

int queue_send_bytes(Socket& s, PendingOp& op) noexcept {
    if (op.transferred == total_length(op))
        return 0;
    if (int err = ensure_request_queue(s))
        return err;
    // Copy what is left into the ring's contiguous runs.
    SendParts parts; // [0, count) only
    const std::size_t count = parts_after(buffers_of(op), op.transferred, parts);
    for (std::size_t i = 0; i < count && s.send_ring.free() > 0; ++i) {
        const char* src = static_cast<const char*>(parts[i].data);
        auto left = gsl::narrow_cast<std::uint32_t>(parts[i].size);
        while (left > 0 && s.send_ring.free() > 0) {
            std::uint32_t n = std::min(left, s.send_ring.writable_run());
            std::memcpy(s.send_base() + s.send_ring.write_offset(), src, n);
            s.send_ring.produce(n);
            src += n;
            left -= n;
            op.transferred += n;
        }
    }
    if (!s.send_ring.empty() && !s.ring_counted) {
        // Hand the op's pending-send count to the ring (see the file comment).
        s.ring_counted = true;
        op.counted_by_ring = true;
    }
    pump_send(s);
    return 0;
}

int give_recv_bytes(Socket& s, PendingOp& op) noexcept {
    const std::uint64_t room = total_length(op) - op.transferred;
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(room, s.recv_ring.used()));
    if (n == 0)
        return 0;
    if (!app_room_writable(buffers_of(op), op.transferred, n))
        return WSAEFAULT; // the bytes stay in the ring for the next receive
    ReceiveParts parts;   // [0, count) only
    const std::size_t count = parts_after(buffers_of(op), op.transferred, parts);
    std::uint32_t copied = 0;
    for (std::size_t i = 0; i < count && copied < n; ++i) {
        char* dst = static_cast<char*>(parts[i].data);
        auto left = static_cast<std::uint32_t>(std::min<std::size_t>(parts[i].size, n - copied));
        while (left > 0) {
            const std::uint32_t run = std::min(left, s.recv_ring.readable_run(copied));
            std::memcpy(dst, s.recv_base() + s.recv_ring.read_offset(copied), run);
            dst += run;
            left -= run;
            copied += run;
        }
    }
    if (!peeks(op)) // a peek leaves the bytes for the next receive
        s.recv_ring.consume(copied);
    op.transferred += copied;
    return 0;
}

void pump_send(Socket& s) noexcept {
    if (s.send_in_flight > 0 || s.send_ring.empty() || !s.rq || releasing(s))
        return;
    const std::uint32_t run = s.send_ring.readable_run();
    RIO_BUF buf = s.registration->slice(s.send_ring.read_offset(), run);
    if (s.rq->send(std::span<const RIO_BUF>(&buf, 1), 0, tagged(s, tag_send)) == 0) {
        s.send_in_flight = run;
        ++s.io_in_flight;
    }
}

void pump_recv(Socket& s) noexcept {
    if (const HalfCloseState st = s.state.load();
        s.recv_in_flight || st.fin_arrived() || st.reset() || !s.rq || releasing(s))
        return;
    if (s.ops.recv.empty() && !wants_incoming(s))
        return; // receives are demand-driven: nobody waits for bytes in the ring
    const std::uint32_t room = s.recv_ring.writable_run();
    if (room == 0)
        return; // the ring is full: the TCP window closes until the application reads
    if (defer_to_caller_receives(s))
        return; // a receive issued before waits in its own thread: the next bytes are its
    RIO_BUF buf = s.registration->slice(send_ring_bytes + s.recv_ring.write_offset(), room);
    if (s.rq->receive(std::span<const RIO_BUF>(&buf, 1), 0, tagged(s, tag_recv)) == 0) {
        s.recv_in_flight = true;
        ++s.io_in_flight;
    }
}

void fail_pending(Socket& s, int error) noexcept {
    while (!s.ops.recv.empty()) {
        PendingOp op = s.ops.recv.front();
        s.ops.recv.pop();
        complete_op(s, op, error, false);
    }
    while (!s.ops.send.empty()) {
        PendingOp op = s.ops.send.front();
        s.ops.send.pop();
        complete_op(s, op, error, true);
    }
}

void pump_receive(Socket& s) noexcept {
    if (s.datagram())
        pump_datagram_recv(s);
    else
        pump_recv(s);
}

// Serves waiting receives from the ring, oldest first. One whose buffer faults (taken away since
// its call) fails alone with WSAEFAULT; the bytes stay for the next.
void serve_recv_ops(Socket& s) noexcept {
    while (!s.ops.recv.empty()) {
        PendingOp& op = s.ops.recv.front();
        const bool ended = s.state.load().fin_arrived();
        if (s.recv_ring.empty() && !ended)
            break;
        const int err = give_recv_bytes(s, op);
        if (err == 0 && waits_all(op) && op.transferred < total_length(op) && !ended)
            break; // MSG_WAITALL: on until its buffers are full or the stream ends
        PendingOp done = op;
        s.ops.recv.pop();
        complete_op(s, done, err, false);
    }
    ring_consumed(s);
}

// Moves waiting sends into freed ring space, oldest first. One whose buffer faults (taken away
// since its call) fails alone with WSAEFAULT, and the next ones go on.
static void serve_send_ops(Socket& s) noexcept {
    while (!s.ops.send.empty()) {
        PendingOp& op = s.ops.send.front();
        if (const int err = take_send_bytes(s, op); err == WSAEFAULT) {
            PendingOp done = op;
            s.ops.send.pop();
            complete_op(s, done, err, true);
            continue;
        } else if (err != 0) {
            on_connection_failed(s, err); // completes this op and the rest with the error
            return;
        }
        if (op.transferred != total_length(op))
            return;
        PendingOp done = op;
        s.ops.send.pop();
        complete_op(s, done, 0, true);
    }
}

void on_send_completion(Socket& s, int status, DWORD bytes) noexcept {
    --s.io_in_flight;
    s.send_in_flight = 0;
    if (status == 0) {
        s.send_ring.consume(bytes);
        serve_send_ops(s);
        pump_send(s);
        if (s.send_ring.empty() && s.ring_counted && s.send_in_flight == 0) {
            s.ring_counted = false;
            s.cv.notify_all(); // a lingering close may be waiting for the drain
            apply_and_act(s, HalfCloseEvent::send_done);
        }
        if (s.write_blocked && s.send_ring.free() > 0) {
            s.write_blocked = false;
            raise_event(s, FD_WRITE_BIT, 0);
        }
    } else if (status != WSA_OPERATION_ABORTED) {
        on_connection_failed(s, status);
    }
    recycle_if_idle(s);
}

void on_recv_completion(Socket& s, int status, DWORD bytes) noexcept {
    --s.io_in_flight;
    s.recv_in_flight = false;
    if (status == 0 && bytes > 0) {
        s.recv_ring.produce(bytes);
        raise_event(s, FD_READ_BIT, 0);
        serve_recv_ops(s);
        pump_recv(s);
    } else if (status == 0) {
#ifdef RIOSP_TEST_DELIBERATE_ALLOC
        // Test-only build (riosp_provider_alloc_canary): one heap allocation on a worker, when
        // the peer's FIN completes; provider_alloc_test must catch it. Through a volatile
        // pointer so that the compiler cannot elide the pair.
        void* (*volatile allocate)(std::size_t) = std::malloc;
        std::free(allocate(16));
#endif
        on_peer_eof(s);
    } else if (status == WSA_OPERATION_ABORTED) {
        resume_incoming_after_abort(s);
    } else {
        on_connection_failed(s, status);
    }
    recycle_if_idle(s);
}

void run_deferred_fin(Socket& s) noexcept {
    std::lock_guard lock(s.mutex);
    --s.io_in_flight;
    if (!s.state.load().abortive()) // an abortive close since: the RST replaces the FIN
        (void)rio::net::shutdown_send(s.fd);
    apply_and_act(s, HalfCloseEvent::fin_sent);
    recycle_if_idle(s); // a close that came meanwhile waited for this
}

void dispatch_completion(const RIORESULT& r) noexcept {
    auto ctx = static_cast<std::uintptr_t>(r.RequestContext);
    auto* s = reinterpret_cast<Socket*>(ctx & ~static_cast<std::uintptr_t>(tag_mask));
    std::lock_guard lock(s->mutex);
    const bool is_send = (ctx & tag_mask) == tag_send;
    if (s->datagram()) {
        if (is_send)
            on_datagram_send_completion(*s, r.Status);
        else
            on_datagram_recv_completion(*s, r.Status, r.BytesTransferred);
    } else if (is_send) {
        on_send_completion(*s, r.Status, r.BytesTransferred);
    } else {
        on_recv_completion(*s, r.Status, r.BytesTransferred);
    }
    wake_selectors(*s); // bytes, a FIN, a reset, ring room: what a select may wait for
}

void retire_handle(Socket& s) noexcept {
    SocketTable::retire(s);
    s.cv.notify_all(); // a lingering close of the same handle learns it lost (D9)
}

void begin_close(Socket& s, SocketLock& lock, bool abortive) noexcept {
    (void)lock;
    retire_handle(s);
    act_on(s, s.state.close(abortive));
    wake_selectors(s); // a select watching it ends (WSAEINTR)
}

void raise_fd_close(Socket& s, int error) noexcept {
    raise_event(s, FD_CLOSE_BIT, error);
}

void close_all_sockets() noexcept {
    socket_table().for_each_in_use([](Socket& s) {
        SocketLock lock(s.mutex);
        if (SocketTable::is_live(s)) {
            int err = 0;
            (void)upcalls().lpWPUCloseSocketHandle(s.handle, &err);
            begin_close(s, lock, true);
        }
    });
}

} // namespace riosp::provider
