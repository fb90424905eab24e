// The socket's data path over its RIO request queue: attaching a connected socket to its
// worker's rings, moving application bytes through the send and receive rings, and handling
// RIO completions on the worker. All functions expect the socket's mutex to be held
// (`lock` parameters make that explicit) unless stated otherwise.
#pragma once

#include "app_buffers.h"
#include "socket.h"

#include <cstddef>
#include <mutex>
#include <span>

namespace riosp::provider {

using SocketLock = std::unique_lock<std::mutex>;

// The socket's Winsock mode (FIONBIO, or an event selection), held by the kernel socket too: a
// blocking call then simply blocks in the kernel (rio/caller.h). 0 or a WSA error.
[[nodiscard]] int set_mode(Socket& s, bool non_blocking) noexcept;

// Makes a freshly connected (or accepted) socket ready for data. Its ring memory and RIO
// request queue come at their first use; only a socket whose application selected FD_READ or
// FD_CLOSE takes incoming data into the ring at once. 0 or a WSA error.
[[nodiscard]] int attach_data_path(Socket& s, SocketLock& lock) noexcept;
// The socket's ring memory (once per socket object) and RIO request queue (once per
// connection), set up at their first use. 0 or a WSA error (WSAENOBUFS ...).
[[nodiscard]] int ensure_request_queue(Socket& s) noexcept;
// Starts taking incoming data into the ring if the application's event selection asks for it
// (FD_READ / FD_CLOSE). 0 or a WSA error.
[[nodiscard]] int take_incoming(Socket& s) noexcept;
// A ring receive came back aborted (WSA_OPERATION_ABORTED). Unless the socket is being released
// or is the application's, what cancelled it was a RIOCreateRequestQueue that let go of the
// provider's queue and then failed (provider/extensions.cpp): the socket takes data in again.
void resume_incoming_after_abort(Socket& s) noexcept;

// Close was called and nothing the application started is outstanding: the socket is being
// released (its kernel socket closed once the last RIO request is back). A fact of the state
// machine (`closed`), which the release's transition sets and performs under the socket's lock.
[[nodiscard]] inline bool releasing(const Socket& s) noexcept {
    return s.state.load().life() == HalfCloseLife::closed;
}
// Whether a send may hand its bytes to the kernel from the caller's buffers now: nothing
// queued, buffered or in flight before it in the stream.
[[nodiscard]] inline bool can_send_inline(const Socket& s) noexcept {
    return s.ops.send.empty() && s.send_ring.empty() && s.send_in_flight == 0 && !releasing(s);
}
// One send(2) of the bytes of `bufs` past the first `skip`, straight from the application's
// buffers, without waiting: no copy into the ring, no RIO send, and so no completion for a worker
// to wake up for (the caller has checked can_send_inline: order holds, and so does the FIN's
// place behind the data). `sent`: what the kernel took. 0, or the connection's error the kernel
// reported (once: the caller must act on it).
[[nodiscard]] int send_inline(Socket& s, std::span<const WSABUF> bufs, DWORD skip,
                              DWORD& sent) noexcept;
// Moves as much of `op`'s remaining bytes towards the kernel as it can: straight from the
// application's buffers when nothing is buffered or in flight before them, the rest copied into
// the send ring and posted. op.transferred says how far it got. 0, or a WSA error (the
// connection's, or a ring that could not be set up).
[[nodiscard]] int take_send_bytes(Socket& s, PendingOp& op) noexcept;
// The same without the attempt at the kernel (the caller just made it): the rest into the ring.
[[nodiscard]] int queue_send_bytes(Socket& s, PendingOp& op) noexcept;
// Copies buffered received bytes into the room `op` has left (after op.transferred), as many as
// fit; a peek (MSG_PEEK) leaves them in the ring. 0, or WSAEFAULT when that room cannot be
// written (app_room_writable): then nothing moved. Only copies: the caller then calls
// ring_consumed.
[[nodiscard]] int give_recv_bytes(Socket& s, PendingOp& op) noexcept;
// After the application took bytes from the receive ring: a ring receive is posted if one is
// wanted (room again), and an empty ring behind the peer's FIN ends the stream (peer_fin).
void ring_consumed(Socket& s) noexcept;
// Posts the next send / receive if one is due and possible. A ring receive waits while receives
// issued before it wait in their own threads (defer_to_caller_receives, caller_wait.h).
void pump_send(Socket& s) noexcept;
void pump_recv(Socket& s) noexcept;
// pump_recv, or for a datagram socket pump_datagram_recv.
void pump_receive(Socket& s) noexcept;
// Serves waiting receives from the ring, oldest first.
void serve_recv_ops(Socket& s) noexcept;

// Whether receives wait in their own threads (in the kernel) on `s`: on a connected or datagram
// socket the only calls Socket::callers counts (accepts and connects wait on listening and
// unconnected sockets). Read under the lock, a count a receive is just leaving with only sends
// a later receive the slower way, through the queue.
[[nodiscard]] inline bool receives_in_caller(const Socket& s) noexcept {
    return (s.callers.load(std::memory_order_relaxed) & caller_count) != 0;
}
// Whether a receive may go to the kernel from the caller's thread now (its own wait, or an
// attempt at once): nothing buffered, queued or in flight before it in the stream, and no
// receive issued before it waiting in the kernel (which the kernel may wake second).
[[nodiscard]] inline bool can_receive_in_caller(const Socket& s) noexcept {
    return s.ops.recv.empty() && s.recv_ring.empty() && !s.state.load().fin_arrived() &&
           !s.recv_in_flight && !releasing(s) && !s.app_rio && !receives_in_caller(s);
}
// What a receive learnt, wherever it ran (a worker's RIO completion or the caller's own call):
// the peer's FIN (0 bytes).
void on_peer_eof(Socket& s) noexcept;
// A send or receive failed with `status`, wherever it ran: the connection is reset (pending
// operations fail with connection_error(status)); WSAEFAULT leaves it alone.
void on_connection_failed(Socket& s, int status) noexcept;
// The error a send or receive reports for a failure `status` (WSAECONNRESET for a dead
// connection, as Winsock reports it).
[[nodiscard]] int connection_error(int status) noexcept;

// Completes every pending application op with `error` (close, reset).
void fail_pending(Socket& s, int error) noexcept;

// Records a network event for WSPEventSelect and signals the selected event.
void raise_event(Socket& s, int bit, int error) noexcept;
// FD_CLOSE: only as the state machine's action (raise_fd_close), which comes at most once per
// connection.
void raise_fd_close(Socket& s, int error) noexcept;

// Worker side: one RIO completion for `s`.
void on_send_completion(Socket& s, int status, DWORD bytes) noexcept;
void on_recv_completion(Socket& s, int status, DWORD bytes) noexcept;

// The socket's kernel socket is closed and its own reference to the slot dropped (the slot is
// recycled once no call holds it either) once it is being released and its last RIO request is
// back (every completion handler ends with it). Once per life: Socket::released() after.
void recycle_if_idle(Socket& s) noexcept;
// That release itself, now (the last WSPCleanup's workers, for what they could not drain: RIO
// requests still counted in flight die with their queue).
void release(Socket& s, bool abortive) noexcept;
// The tag a RIO request's context carries beside its socket (dispatch_completion reads it).
[[nodiscard]] void* send_context(Socket& s) noexcept;
[[nodiscard]] void* recv_context(Socket& s) noexcept;

// A close, under the socket's lock: the handle dies (every call with it fails with WSAENOTSOCK
// from now on, socket_table.h) and a lingering close of the same handle waiting on `cv` wakes.
void retire_handle(Socket& s) noexcept;
// Close: cancels what must be cancelled and recycles the socket when its last I/O drained.
// Retires the handle and applies close to the state machine (which may abort pending ops,
// reset, and release: the socket is recycled once its last RIO request completed).
void begin_close(Socket& s, SocketLock& lock, bool abortive) noexcept;
// Worker side: routes one RIO completion to its socket (request context = socket | kind).
void dispatch_completion(const RIORESULT& r) noexcept;
// Worker side (busy-poll): issues a FIN that act_on handed over (Worker::defer_fin) and reports
// fin_sent. Takes the socket's mutex itself.
void run_deferred_fin(Socket& s) noexcept;
// A listener's release: resets the connections it held for later accepts (wsp_connection.cpp).
void drop_held_connections(Socket& l) noexcept;
// Finishes a non-blocking connect once the kernel says it is done (watcher, or a blocked
// WSPConnect). 0 or the connect's WSA error.
[[nodiscard]] int finish_connect(Socket& s, SocketLock& lock) noexcept;
// Completes an application op (blocking or overlapped) and reports it to the state machine.
void complete_op(Socket& s, PendingOp& op, int error, bool is_send) noexcept;
// Performs the actions a state-machine transition returned (FIN, FD_CLOSE, abort, release), then
// applies the events those actions caused, in a loop, performing theirs in turn.
void act_on(Socket& s, const HalfCloseResult& r) noexcept;
// Applies an event to the state machine and performs the actions it returns (inline: most
// transitions of a send or receive return none). Inside the actions of another transition (an
// operation that an abort completes, a FIN sent at once ...) the event waits for act_on's loop.
inline void apply_and_act(Socket& s, HalfCloseEvent e) noexcept {
    if (s.acting) {
        s.followups.add(e);
        return;
    }
    if (const HalfCloseResult r = s.state.apply(e); r.actions != HalfCloseAction::none)
        act_on(s, r);
}

// WSPCleanup: aborts every socket still in use.
void close_all_sockets() noexcept;

} // namespace riosp::provider
