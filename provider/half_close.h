// The per-socket half-close state machine (docs/half-close.md): a pure unit with no I/O
// and no allocation. It answers, for every application call and every backend/peer fact, which
// WSA error the call gets and what the caller must do next (issue the FIN, abort pending
// operations, reset, release the socket, raise FD_CLOSE ...). The caller performs the actions.
//
// State = independent facts, packed in one 64-bit word:
//   connection   unconnected | listening | connecting | connected
//   send side    open -> draining (SD_SEND accepted, FIN waits for queued sends)
//                     -> fin_issued (caller told to submit the FIN) -> fin_sent (FIN op completed)
//   receive side recv_shutdown (local SD_RECEIVE: receives refused, data still accepted, no RST)
//                and, independently, the peer's FIN: fin_arrived (riosp saw it: FD_CLOSE) ->
//                peer_fin (the application has read everything before it: the stream ended)
//   reset        the connection was reset (by the peer, or by our abortive close)
//   life         open -> closing (close called, waiting for outstanding I/O) -> closed
//   abortive     the close was abortive (SO_LINGER {1,0})
//   pending_sends  accepted sends not yet completed (begin_send .. send_done)
//   pending_io     other accepted overlapped operations not yet completed (receives, connect,
//                  accept ...; begin_recv/begin_io .. io_done)
//   datagram     a UDP socket, for its whole life. Its default peer (connect(2)) is the kernel's
//                fact, so conn stays unconnected; its send side is open or shut (fin_sent: no
//                FIN exists, nothing goes on the wire), and it has no peer FIN, reset or linger.
// Named states (HalfClosePhase, describe()) are derived from the facts, never stored. The only
// ways to obtain a HalfCloseState are the three initial states, half_close_step() and the
// validating from_bits(), so an impossible combination (a FIN issued while sends are queued, a
// shut-down unconnected stream socket, a closed socket with I/O outstanding, a reset datagram
// socket ...) cannot be stored.
//
// Thread safety: HalfClose applies every event with one compare-and-swap loop over the word, so
// events from any number of threads (application threads, workers) are linearizable: each result's
// `before`/`after` is the exact state at its linearization point. No locks.
//
// Because the unit counts outstanding sends itself, "issue the FIN" can only be returned by the
// transition that sees the count at zero, exactly once per socket; the FIN never overtakes data.
// Likewise the release is returned exactly once, by whichever transition (close, or the last
// completion during closing) leaves nothing outstanding: there is no separate "drained" event to
// race with.
//
// The rules, and the decisions taken where the sources are silent or disagree (D1..D19), are in
// docs/half-close.md; tests/provider/half_close_table_test.cpp holds them as a golden
// (state x event) table.
//
// Observing transitions: every result carries `before` and `after`; format_transition() renders
// "FROM -> TO (event)" into a caller buffer. Nothing is logged or formatted unless the caller asks,
// so tracing costs nothing when it is off.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace riosp::provider {

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------
enum class HalfCloseEvent : std::uint8_t {
    // --- application calls (answer WSAENOTSOCK once close was called) ---
    listen,                    // WSPListen
    begin_send,                // a send wants to start (any send/WSASend/overlapped or not)
    begin_recv,                // a receive wants to start
    begin_io,                  // another overlapped operation starts (ConnectEx, AcceptEx ...)
    connect_started,           // WSPConnect starts a connection attempt (on a datagram socket
                               // it only sets the kernel's default peer: no state, D16)
    send_disconnect,           // WSPSendDisconnect, lpOutboundDisconnectData == NULL
    send_disconnect_with_data, // WSPSendDisconnect, lpOutboundDisconnectData != NULL on a protocol
                               // without disconnect data (TCP; XP1_DISCONNECT_DATA clear)
    recv_disconnect,           // WSPRecvDisconnect
    shutdown_receive,          // WSPShutdown(SD_RECEIVE)
    shutdown_send,             // WSPShutdown(SD_SEND)
    shutdown_both,             // WSPShutdown(SD_BOTH)
    shutdown_invalid,          // WSPShutdown(how) with any other how
    close_graceful,            // WSPCloseSocket, linger off, or {1,n} on a blocking socket once
                               // the caller's linger wait is over
    close_abortive,            // WSPCloseSocket with SO_LINGER {1,0}
    close_linger_nonblocking,  // WSPCloseSocket with SO_LINGER {1,n>0} on a non-blocking socket:
                               // WSAEWOULDBLOCK while sends or the FIN are outstanding
    // --- backend / peer facts (reported by workers; WSAEINVAL when they cannot happen, as the
    //     facts of a connection on a datagram socket, D16) ---
    connect_established, // a connect completed successfully
    connect_failed,      // a connect attempt failed (refused, unreachable, timed out ...)
    send_done,           // an accepted send completed (success, error or aborted)
    io_done,             // an accepted receive/other operation completed (any outcome)
    fin_sent,            // the FIN operation returned by issue_fin completed (any outcome)
    fin_arrived,         // the backend saw the peer's FIN; bytes before it may still wait in
                         // riosp's receive ring (FD_CLOSE now, as Winsock records it)
    peer_fin,            // the receive stream ended: the backend saw EOF and no inbound byte before
                         // it is still undelivered (with RIO receives land in the application's
                         // buffers, so: a receive completed with 0 bytes)
    peer_reset,          // the peer reset the connection (or the backend reports it dead)
};
inline constexpr std::size_t half_close_event_count = 23;

// "listen", "begin_send", ... (static strings).
[[nodiscard]] std::string_view to_string(HalfCloseEvent e) noexcept;

// ---------------------------------------------------------------------------------------------
// Actions: what the caller must do after a transition, in this order.
// ---------------------------------------------------------------------------------------------
enum class HalfCloseAction : std::uint8_t {
    none = 0,
    // Cancel every pending operation of the socket: each completes with WSA_OPERATION_ABORTED
    // (its event/routine/completion still fires) and is still reported with send_done/io_done.
    abort_pending = 1u << 0,
    // Reset the connection (the peer sees RST, no TIME_WAIT), e.g. SO_LINGER {1,0} + close of
    // the backend socket. Returned at most once per socket, only by close_abortive.
    send_rst = 1u << 1,
    // Submit the FIN now (shutdown(SHUT_WR) on the backend); report fin_sent when that operation
    // completes. Returned at most once per socket, only with zero sends outstanding.
    issue_fin = 1u << 2,
    // begin_recv only: complete this receive now with 0 bytes (the stream ended); it was not
    // counted, so no io_done for it.
    complete_eof = 1u << 3,
    // Signal FD_CLOSE (error 0 after the peer's FIN, WSAECONNRESET after peer_reset). At most
    // once per socket, never after close was called: the only way FD_CLOSE is raised.
    raise_fd_close = 1u << 4,
    // Nothing is outstanding and close was called: free the socket (a graceful release lets the
    // backend send its FIN after its buffered data). Returned exactly once per closed socket.
    release_socket = 1u << 5,
};
[[nodiscard]] constexpr HalfCloseAction operator|(HalfCloseAction a, HalfCloseAction b) noexcept {
    return static_cast<HalfCloseAction>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
[[nodiscard]] constexpr HalfCloseAction operator&(HalfCloseAction a, HalfCloseAction b) noexcept {
    return static_cast<HalfCloseAction>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
// "abort_pending|send_rst", or "none"; returns the written part of `out`.
[[nodiscard]] std::string_view describe(HalfCloseAction actions, std::span<char> out) noexcept;

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------
enum class HalfCloseConn : std::uint8_t { unconnected, listening, connected, connecting };
enum class HalfCloseSend : std::uint8_t { open, draining, fin_issued, fin_sent };
enum class HalfCloseLife : std::uint8_t { open, closing, closed };

struct HalfCloseResult;

// The derived named state (for logging and coarse decisions), never stored. A datagram socket
// is unconnected while open (the machine models no connection for it, D16), then closing, closed.
enum class HalfClosePhase : std::uint8_t {
    unconnected,   // not connected (fresh, bound, or a connect that failed), or any open datagram
    listening,     //
    connecting,    // a connect attempt is under way
    established,   // connected, we may send, the peer has not finished
    send_shutdown, // connected, our send side is shut (FIN pending or sent), peer not finished
    peer_shutdown, // connected, the peer finished (EOF), we may still send
    both_shutdown, // connected, both directions finished
    reset,         // connected, reset (by the peer or by our abortive close), life open
    closing,       // close called, operations still outstanding
    closed,        // released: terminal
};
[[nodiscard]] std::string_view to_string(HalfClosePhase p) noexcept;

class HalfCloseState {
public:
    static constexpr std::uint32_t max_pending = (1u << 24) - 1; // per counter

    // A fresh stream socket (WSPSocket), an accepted one (WSPAccept), and a fresh datagram socket
    // (WSPSocket of SOCK_DGRAM: it never leaves conn unconnected, D16).
    [[nodiscard]] static constexpr HalfCloseState unconnected() noexcept {
        return HalfCloseState{0};
    }
    [[nodiscard]] static constexpr HalfCloseState connected() noexcept {
        return HalfCloseState{static_cast<std::uint64_t>(HalfCloseConn::connected)};
    }
    [[nodiscard]] static constexpr HalfCloseState datagram_socket() noexcept {
        return HalfCloseState{std::uint64_t{1} << 11};
    }
    // The state with these bits, if it is a possible one (see valid()).
    [[nodiscard]] static std::optional<HalfCloseState> from_bits(std::uint64_t bits) noexcept;
    [[nodiscard]] constexpr std::uint64_t bits() const noexcept { return bits_; }

    [[nodiscard]] constexpr HalfCloseConn conn() const noexcept {
        return static_cast<HalfCloseConn>(bits_ & 0x3u);
    }
    [[nodiscard]] constexpr HalfCloseSend send() const noexcept {
        return static_cast<HalfCloseSend>((bits_ >> 2) & 0x3u);
    }
    [[nodiscard]] constexpr bool recv_shutdown() const noexcept { return (bits_ >> 4) & 1u; }
    [[nodiscard]] constexpr bool peer_fin() const noexcept { return (bits_ >> 5) & 1u; }
    [[nodiscard]] constexpr bool fin_arrived() const noexcept { return (bits_ >> 10) & 1u; }
    [[nodiscard]] constexpr bool datagram() const noexcept { return (bits_ >> 11) & 1u; }
    [[nodiscard]] constexpr bool reset() const noexcept { return (bits_ >> 6) & 1u; }
    [[nodiscard]] constexpr bool abortive() const noexcept { return (bits_ >> 7) & 1u; }
    [[nodiscard]] constexpr HalfCloseLife life() const noexcept {
        return static_cast<HalfCloseLife>((bits_ >> 8) & 0x3u);
    }
    [[nodiscard]] constexpr std::uint32_t pending_sends() const noexcept {
        return static_cast<std::uint32_t>((bits_ >> 16) & max_pending);
    }
    [[nodiscard]] constexpr std::uint32_t pending_io() const noexcept {
        return static_cast<std::uint32_t>((bits_ >> 40) & max_pending);
    }

    [[nodiscard]] HalfClosePhase phase() const noexcept;
    // Every fact, e.g. "connected send=draining recv=shut peer_fin sends=2 io=1",
    // "closing(abortive) connected send=open recv=open reset" or "datagram send=shut recv=open
    // sends=1"; returns the written part of `out`
    // (truncated if `out` is shorter than describe_max).
    static constexpr std::size_t describe_max = 128;
    [[nodiscard]] std::string_view describe(std::span<char> out) const noexcept;

    friend constexpr bool operator==(HalfCloseState, HalfCloseState) noexcept = default;

private:
    friend class HalfClose;
    friend HalfCloseResult half_close_step(HalfCloseState s, HalfCloseEvent e) noexcept;
    constexpr explicit HalfCloseState(std::uint64_t bits) noexcept : bits_(bits) {}
    std::uint64_t bits_;
};

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------
struct HalfCloseResult {
    int error = 0; // 0, or the WSA error the call fails with (state unchanged then)
    HalfCloseAction actions = HalfCloseAction::none;
    HalfCloseState before = HalfCloseState::unconnected(); // at the linearization point
    HalfCloseState after = HalfCloseState::unconnected();

    [[nodiscard]] constexpr bool ok() const noexcept { return error == 0; }
    [[nodiscard]] constexpr bool has(HalfCloseAction a) const noexcept {
        return (actions & a) != HalfCloseAction::none;
    }
    [[nodiscard]] constexpr bool changed() const noexcept { return before != after; }
};

// The transition function: pure, total (every state x event has a result), no side effects.
// On error the state is unchanged and no action is returned.
[[nodiscard]] HalfCloseResult half_close_step(HalfCloseState s, HalfCloseEvent e) noexcept;

// "FROM -> TO (event: actions)" or "STATE (event: WSAExxxx)"; returns the written part of `out`.
inline constexpr std::size_t half_close_transition_max = 2 * HalfCloseState::describe_max + 96;
[[nodiscard]] std::string_view format_transition(HalfCloseEvent e, const HalfCloseResult& r,
                                                 std::span<char> out) noexcept;

// ---------------------------------------------------------------------------------------------
// The fast path
// ---------------------------------------------------------------------------------------------
// The four events of every send and receive in their common case, on the packed word directly
// (a stream connection open for the direction, no close, no reset; or a datagram socket open
// for the direction, not closing): counting one operation in or out.
// Inline, so that an entry point applying a known event compiles it to a mask, a compare and an
// add. Anything else goes the general way (half_close_step), and so does everything the golden
// table checks differently: half_close_table_test compares half_close_step, fast path included,
// with the golden table for every reachable state.
namespace half_close_fast {
inline constexpr std::uint64_t conn_bits = 0x3;
inline constexpr std::uint64_t send_bits = 0x3 << 2;
inline constexpr std::uint64_t recv_shut_bit = 1 << 4;
inline constexpr std::uint64_t peer_fin_bit = 1 << 5;
inline constexpr std::uint64_t reset_bit = 1 << 6;
inline constexpr std::uint64_t life_bits = 0x3 << 8;
inline constexpr std::uint64_t datagram_bit = 1 << 11;
inline constexpr std::uint64_t connected = static_cast<std::uint64_t>(HalfCloseConn::connected);
inline constexpr std::uint64_t one_send = std::uint64_t{1} << 16;
inline constexpr std::uint64_t one_io = std::uint64_t{1} << 40;

// Whether a direction is usable in `b`, `shut` being the bits that end it: a stream socket
// connected, not reset and not closing, or a datagram socket not closing (its conn and reset bits
// are always clear, D16); and none of `shut` set.
[[nodiscard]] constexpr bool usable(std::uint64_t b, std::uint64_t shut) noexcept {
    const std::uint64_t m = b & (datagram_bit | conn_bits | reset_bit | life_bits | shut);
    return m == connected || m == datagram_bit;
}

// True with `after` set when the fast path applies to `e` in state `b`.
[[nodiscard]] constexpr bool step(std::uint64_t b, HalfCloseEvent e,
                                  std::uint64_t& after) noexcept {
    const auto sends = static_cast<std::uint32_t>((b >> 16) & HalfCloseState::max_pending);
    const auto io = static_cast<std::uint32_t>((b >> 40) & HalfCloseState::max_pending);
    switch (e) {
    case HalfCloseEvent::begin_send: // send side open
        if (!usable(b, send_bits) || sends == HalfCloseState::max_pending)
            return false;
        after = b + one_send;
        return true;
    case HalfCloseEvent::send_done: // the same, one of several sends or the FIN not wanted yet;
                                    // a datagram send side waits for no FIN (D17), shut or not
        if (!usable(b, (b & datagram_bit) != 0 ? 0 : send_bits) || sends == 0)
            return false;
        after = b - one_send;
        return true;
    case HalfCloseEvent::begin_recv: // receive side open, and no FIN from a stream peer
        if (!usable(b, recv_shut_bit | peer_fin_bit) || io == HalfCloseState::max_pending)
            return false;
        after = b + one_io;
        return true;
    case HalfCloseEvent::io_done: // any state of the connection or datagram socket, not closing
        if ((b & life_bits) != 0 || io == 0)
            return false;
        after = b - one_io;
        return true;
    default:
        return false;
    }
}
} // namespace half_close_fast

// ---------------------------------------------------------------------------------------------
// The per-socket machine
// ---------------------------------------------------------------------------------------------
class HalfClose {
public:
    HalfClose() noexcept : word_(HalfCloseState::unconnected().bits()) {}
    explicit HalfClose(HalfCloseState initial) noexcept : word_(initial.bits()) {}
    HalfClose(const HalfClose&) = delete;
    HalfClose& operator=(const HalfClose&) = delete;

    // Applies `e` atomically (CAS loop over half_close_step). Safe from any thread.
    [[nodiscard]] HalfCloseResult apply(HalfCloseEvent e) noexcept;
    // Applies `e` only if its transition succeeds and asks for nothing (no action): true when
    // applied. The provider applies every transition that asks for something under the socket's
    // lock and performs it in the same critical section, so that a thread holding the lock never
    // sees a state whose actions are still to come; a call finishing without the lock (a receive
    // that got its bytes) uses this, and takes the lock for apply() when it answers false.
    [[nodiscard]] bool apply_quiet(HalfCloseEvent e) noexcept;

    // Conveniences that map WSP parameters onto events.
    [[nodiscard]] HalfCloseResult shutdown(int how) noexcept; // SD_RECEIVE/SD_SEND/SD_BOTH/other
    [[nodiscard]] HalfCloseResult send_disconnect(bool outbound_data_non_null) noexcept;
    [[nodiscard]] HalfCloseResult close(bool abortive) noexcept;

    [[nodiscard]] HalfCloseState load() const noexcept {
        return HalfCloseState{word_.load(std::memory_order_acquire)};
    }

    // Starts over (a recycled socket handed out again, or an accepted one). Only when no other
    // thread can reach this machine.
    void reinitialize(HalfCloseState initial) noexcept {
        word_.store(initial.bits(), std::memory_order_release);
    }

private:
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
    std::atomic<std::uint64_t> word_;
};

inline bool HalfClose::apply_quiet(HalfCloseEvent e) noexcept {
    std::uint64_t cur = word_.load(std::memory_order_acquire);
    for (;;) {
        std::uint64_t after = 0;
        if (!half_close_fast::step(cur, e, after)) {
            const HalfCloseResult r = half_close_step(HalfCloseState{cur}, e);
            if (!r.ok() || r.actions != HalfCloseAction::none)
                return false;
            after = r.after.bits();
        }
        if (word_.compare_exchange_weak(cur, after, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
            return true;
    }
}

inline HalfCloseResult HalfClose::apply(HalfCloseEvent e) noexcept {
    std::uint64_t cur = word_.load(std::memory_order_acquire);
    for (;;) {
        HalfCloseResult r;
        if (std::uint64_t after = 0; half_close_fast::step(cur, e, after)) {
            r.before = HalfCloseState{cur};
            r.after = HalfCloseState{after};
        } else {
            r = half_close_step(HalfCloseState{cur}, e);
            if (!r.changed())
                return r; // linearized at the load
        }
        if (word_.compare_exchange_weak(cur, r.after.bits(), std::memory_order_acq_rel,
                                        std::memory_order_acquire))
            return r;
    }
}

} // namespace riosp::provider
