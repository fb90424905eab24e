// The half-close transition function. The rules it implements, the documents they come from,
// and the decisions D1..D19 taken where those are silent or disagree (cited below by number) are
// in docs/half-close.md; tests/provider/half_close_table_test.cpp holds them as a golden table.

// <riosp/spi.h> first: on Linux its Windows-layout types must come before any system header.
#include <riosp/spi.h>

#include "half_close.h"

namespace riosp::provider {

namespace {

// The facts, unpacked; packed back with encode().
struct Facts {
    HalfCloseConn conn = HalfCloseConn::unconnected;
    HalfCloseSend send = HalfCloseSend::open;
    bool recv_shutdown = false;
    bool peer_fin = false;
    bool fin_arrived = false;
    bool reset = false;
    bool abortive = false;
    bool datagram = false; // never changes (D16)
    HalfCloseLife life = HalfCloseLife::open;
    std::uint32_t pending_sends = 0;
    std::uint32_t pending_io = 0;

    [[nodiscard]] bool nothing_outstanding() const noexcept {
        return pending_sends == 0 && pending_io == 0 && send != HalfCloseSend::fin_issued;
    }
};

constexpr std::uint64_t reserved_mask =
    ~(std::uint64_t{0xFFF} | (std::uint64_t{HalfCloseState::max_pending} << 16) |
      (std::uint64_t{HalfCloseState::max_pending} << 40));

Facts decode(std::uint64_t b) noexcept {
    Facts f;
    f.conn = static_cast<HalfCloseConn>(b & 0x3u);
    f.send = static_cast<HalfCloseSend>((b >> 2) & 0x3u);
    f.recv_shutdown = (b >> 4) & 1u;
    f.peer_fin = (b >> 5) & 1u;
    f.reset = (b >> 6) & 1u;
    f.abortive = (b >> 7) & 1u;
    f.life = static_cast<HalfCloseLife>((b >> 8) & 0x3u);
    f.fin_arrived = (b >> 10) & 1u;
    f.datagram = (b >> 11) & 1u;
    f.pending_sends = static_cast<std::uint32_t>((b >> 16) & HalfCloseState::max_pending);
    f.pending_io = static_cast<std::uint32_t>((b >> 40) & HalfCloseState::max_pending);
    return f;
}

std::uint64_t encode(const Facts& f) noexcept {
    return std::uint64_t{static_cast<std::uint8_t>(f.conn)} |
           std::uint64_t{static_cast<std::uint8_t>(f.send)} << 2 |
           std::uint64_t{f.recv_shutdown} << 4 | std::uint64_t{f.peer_fin} << 5 |
           std::uint64_t{f.reset} << 6 | std::uint64_t{f.abortive} << 7 |
           std::uint64_t{static_cast<std::uint8_t>(f.life)} << 8 |
           std::uint64_t{f.fin_arrived} << 10 | std::uint64_t{f.datagram} << 11 |
           std::uint64_t{f.pending_sends} << 16 | std::uint64_t{f.pending_io} << 40;
}

// A datagram socket has no connection, FIN, reset or linger (D16..D19): its send side is open or
// shut, and shut with sends still outstanding is fine (nothing waits for them, D17).
bool datagram_facts_possible(const Facts& f) noexcept {
    return f.conn == HalfCloseConn::unconnected &&
           (f.send == HalfCloseSend::open || f.send == HalfCloseSend::fin_sent) && !f.fin_arrived &&
           !f.peer_fin && !f.reset && !f.abortive;
}

bool stream_facts_possible(const Facts& f) noexcept {
    // Shutdown, FIN, reset and sends exist only on a connection.
    if (f.conn != HalfCloseConn::connected &&
        (f.send != HalfCloseSend::open || f.recv_shutdown || f.fin_arrived || f.peer_fin ||
         f.reset || f.pending_sends != 0))
        return false;
    // The stream ends for the application only after riosp has seen the FIN.
    if (f.peer_fin && !f.fin_arrived)
        return false;
    // Only close sets `abortive`, and an abortive close resets a live connection.
    if (f.abortive &&
        (f.life == HalfCloseLife::open || (f.conn == HalfCloseConn::connected && !f.reset)))
        return false;
    // The FIN is never issued while sends are outstanding, and no send starts after it.
    if ((f.send == HalfCloseSend::fin_issued || f.send == HalfCloseSend::fin_sent) &&
        f.pending_sends != 0)
        return false;
    // Draining with nothing left to drain only when the FIN was rightly withheld (D7).
    if (f.send == HalfCloseSend::draining && f.pending_sends == 0 && !f.reset &&
        f.life == HalfCloseLife::open)
        return false;
    return true;
}

// The invariants every stored state satisfies.
bool valid(std::uint64_t b) noexcept {
    if (b & reserved_mask)
        return false;
    const Facts f = decode(b);
    if (((b >> 8) & 0x3u) == 3)
        return false;
    if (!(f.datagram ? datagram_facts_possible(f) : stream_facts_possible(f)))
        return false;
    // Closing lasts exactly while something is outstanding; closed has nothing outstanding.
    if (f.life == HalfCloseLife::closing && f.nothing_outstanding())
        return false;
    if (f.life == HalfCloseLife::closed && !f.nothing_outstanding())
        return false;
    return true;
}

struct Outcome {
    int error = 0;
    HalfCloseAction actions = HalfCloseAction::none;
};

constexpr Outcome fail(int error) noexcept {
    return Outcome{error, HalfCloseAction::none};
}
constexpr Outcome ok(HalfCloseAction a = HalfCloseAction::none) noexcept {
    return Outcome{0, a};
}

// Close was called and nothing is outstanding any more: closed, release (D9).
HalfCloseAction finish_if_drained(Facts& f) noexcept {
    if (f.life == HalfCloseLife::closing && f.nothing_outstanding()) {
        f.life = HalfCloseLife::closed;
        return HalfCloseAction::release_socket;
    }
    return HalfCloseAction::none;
}

// SD_SEND on a connected, not reset, open socket, or an open datagram socket (D3, D6, D17).
HalfCloseAction shut_send(Facts& f) noexcept {
    if (f.send != HalfCloseSend::open)
        return HalfCloseAction::none; // D3: idempotent
    if (f.datagram) {
        // D17: UDP has no FIN to order after the sends; those accepted complete on their own.
        f.send = HalfCloseSend::fin_sent;
        return HalfCloseAction::none;
    }
    if (f.pending_sends == 0) {
        f.send = HalfCloseSend::fin_issued;
        return HalfCloseAction::issue_fin;
    }
    f.send = HalfCloseSend::draining;
    return HalfCloseAction::none;
}

// The state checks shared by WSPSendDisconnect, WSPRecvDisconnect and WSPShutdown (D4). A
// datagram socket needs no connection for them: WSAENOTCONN is for connection-oriented sockets
// only (D16).
int shutdown_state_error(const Facts& f) noexcept {
    if (f.datagram)
        return 0;
    if (f.conn != HalfCloseConn::connected || f.reset)
        return WSAENOTCONN;
    return 0;
}

// `abortive` is SO_LINGER {1,0}; a datagram socket's close is never abortive (D19).
Outcome close(Facts& f, bool abortive) noexcept {
    HalfCloseAction a = HalfCloseAction::none;
    if (f.pending_sends != 0 || f.pending_io != 0)
        a = a | HalfCloseAction::abort_pending;
    f.life = HalfCloseLife::closing;
    if (abortive) {
        f.abortive = true;
        if (f.conn == HalfCloseConn::connected && !f.reset) {
            f.reset = true;
            a = a | HalfCloseAction::send_rst;
        }
    }
    return ok(a | finish_if_drained(f));
}

Outcome step(Facts& f, HalfCloseEvent e) noexcept {
    using E = HalfCloseEvent;
    using A = HalfCloseAction;
    const bool dead = f.life != HalfCloseLife::open;
    switch (e) {
    // ---------------- application calls ----------------
    case E::listen:
        if (dead)
            return fail(WSAENOTSOCK);
        if (f.datagram)
            return fail(WSAEOPNOTSUPP); // D16: a datagram socket cannot listen
        if (f.conn == HalfCloseConn::connected || f.conn == HalfCloseConn::connecting)
            return fail(WSAEISCONN); // D13
        f.conn = HalfCloseConn::listening;
        return ok();
    case E::begin_send:
        if (dead)
            return fail(WSAENOTSOCK);
        if (!f.datagram && f.conn != HalfCloseConn::connected) // D16: a datagram needs no peer
            return fail(WSAENOTCONN);
        if (f.send != HalfCloseSend::open)
            return fail(WSAESHUTDOWN);
        if (f.reset)
            return fail(WSAECONNRESET);
        if (f.pending_sends == HalfCloseState::max_pending)
            return fail(WSAENOBUFS); // D14
        ++f.pending_sends;
        return ok();
    case E::begin_recv:
        if (dead)
            return fail(WSAENOTSOCK);
        if (!f.datagram && f.conn != HalfCloseConn::connected) // D16
            return fail(WSAENOTCONN);
        if (f.recv_shutdown)
            return fail(WSAESHUTDOWN);
        if (f.reset)
            return fail(WSAECONNRESET);
        if (f.peer_fin)
            return ok(A::complete_eof);
        if (f.pending_io == HalfCloseState::max_pending)
            return fail(WSAENOBUFS);
        ++f.pending_io;
        return ok();
    case E::begin_io:
        if (dead)
            return fail(WSAENOTSOCK);
        if (f.pending_io == HalfCloseState::max_pending)
            return fail(WSAENOBUFS);
        ++f.pending_io;
        return ok();
    case E::connect_started: // D15
        if (dead)
            return fail(WSAENOTSOCK);
        if (f.datagram)
            return ok(); // D16: the default peer is the kernel's, set at once
        switch (f.conn) {
        case HalfCloseConn::connected:
            return fail(WSAEISCONN);
        case HalfCloseConn::listening:
            return fail(WSAEINVAL);
        case HalfCloseConn::connecting:
            return fail(WSAEALREADY);
        case HalfCloseConn::unconnected:
            break;
        }
        f.conn = HalfCloseConn::connecting;
        return ok();
    case E::send_disconnect:
    case E::shutdown_send:
        if (dead)
            return fail(WSAENOTSOCK);
        if (const int err = shutdown_state_error(f))
            return fail(err);
        return ok(shut_send(f));
    case E::send_disconnect_with_data:
        if (dead)
            return fail(WSAENOTSOCK);
        return fail(WSAENOPROTOOPT); // D1, D2
    case E::recv_disconnect:
    case E::shutdown_receive:
        if (dead)
            return fail(WSAENOTSOCK);
        if (const int err = shutdown_state_error(f))
            return fail(err);
        f.recv_shutdown = true; // D3 (idempotent), D8 (no action)
        return ok();
    case E::shutdown_both:
        if (dead)
            return fail(WSAENOTSOCK);
        if (const int err = shutdown_state_error(f))
            return fail(err);
        f.recv_shutdown = true;
        return ok(shut_send(f));
    case E::shutdown_invalid:
        if (dead)
            return fail(WSAENOTSOCK);
        return fail(WSAEINVAL); // D1
    case E::close_graceful:
        if (dead)
            return fail(WSAENOTSOCK);
        return close(f, false);
    case E::close_abortive:
        if (dead)
            return fail(WSAENOTSOCK);
        return close(f, !f.datagram); // D19: no linger on a datagram socket
    case E::close_linger_nonblocking:
        if (dead)
            return fail(WSAENOTSOCK);
        if (f.datagram)
            return close(f, false); // D19: nothing to linger for
        if (f.pending_sends != 0 || f.send == HalfCloseSend::fin_issued)
            return fail(WSAEWOULDBLOCK); // D10
        return close(f, false);

    // ---------------- backend / peer facts ----------------
    // A datagram socket stays unconnected and never has a FIN issued, so connect_failed,
    // fin_sent, fin_arrived, peer_fin and peer_reset get their "cannot happen" answer below
    // (D12, D16); connect_established says so first, before its closing race (D12).
    case E::connect_established:
        if (f.datagram)
            return fail(WSAEINVAL); // D16: no connect completes on a datagram socket
        if (f.life == HalfCloseLife::closing)
            return fail(WSA_OPERATION_ABORTED); // D12
        if (f.life == HalfCloseLife::closed || f.conn != HalfCloseConn::connecting)
            return fail(WSAEINVAL);
        f.conn = HalfCloseConn::connected;
        return ok();
    case E::connect_failed: // D15
        if (f.life == HalfCloseLife::closed || f.conn != HalfCloseConn::connecting)
            return fail(WSAEINVAL);
        f.conn = HalfCloseConn::unconnected;
        return ok();
    case E::send_done: {
        if (f.pending_sends == 0)
            return fail(WSAEINVAL); // D12
        --f.pending_sends;
        A a = A::none;
        if (f.pending_sends == 0 && f.send == HalfCloseSend::draining && !f.reset &&
            f.life == HalfCloseLife::open) {
            f.send = HalfCloseSend::fin_issued; // D6
            a = A::issue_fin;
        }
        return ok(a | finish_if_drained(f));
    }
    case E::io_done:
        if (f.pending_io == 0)
            return fail(WSAEINVAL);
        --f.pending_io;
        return ok(finish_if_drained(f));
    case E::fin_sent:
        if (f.send != HalfCloseSend::fin_issued)
            return fail(WSAEINVAL);
        f.send = HalfCloseSend::fin_sent;
        return ok(finish_if_drained(f));
    case E::fin_arrived:
    case E::peer_fin: {
        if (f.life == HalfCloseLife::closed || f.conn != HalfCloseConn::connected)
            return fail(WSAEINVAL);
        if (f.reset || (e == E::fin_arrived ? f.fin_arrived : f.peer_fin))
            return ok(); // D12
        // FD_CLOSE when riosp sees the FIN, data still buffered or not (D11); a stream that
        // ends where the FIN is seen (nothing buffered) is both at once.
        const bool raise = f.life == HalfCloseLife::open && !f.fin_arrived; // D9, D11
        f.fin_arrived = true;
        if (e == E::peer_fin)
            f.peer_fin = true;
        return ok(raise ? A::raise_fd_close : A::none);
    }
    case E::peer_reset: {
        if (f.life == HalfCloseLife::closed || f.conn != HalfCloseConn::connected)
            return fail(WSAEINVAL);
        if (f.reset)
            return ok();
        const bool raise = f.life == HalfCloseLife::open && !f.fin_arrived; // D11
        f.reset = true;
        return ok(raise ? A::raise_fd_close : A::none);
    }
    }
    return fail(WSAEINVAL); // not an event
}

} // namespace

std::optional<HalfCloseState> HalfCloseState::from_bits(std::uint64_t bits) noexcept {
    if (!valid(bits))
        return std::nullopt;
    return HalfCloseState{bits};
}

HalfClosePhase HalfCloseState::phase() const noexcept {
    if (life() == HalfCloseLife::closed)
        return HalfClosePhase::closed;
    if (life() == HalfCloseLife::closing)
        return HalfClosePhase::closing;
    switch (conn()) {
    case HalfCloseConn::unconnected: // every open datagram socket too (D16)
        return HalfClosePhase::unconnected;
    case HalfCloseConn::listening:
        return HalfClosePhase::listening;
    case HalfCloseConn::connecting:
        return HalfClosePhase::connecting;
    case HalfCloseConn::connected:
        break;
    }
    if (reset())
        return HalfClosePhase::reset;
    const bool local_done = send() != HalfCloseSend::open;
    if (peer_fin())
        return local_done ? HalfClosePhase::both_shutdown : HalfClosePhase::peer_shutdown;
    return local_done ? HalfClosePhase::send_shutdown : HalfClosePhase::established;
}

HalfCloseResult half_close_step(HalfCloseState s, HalfCloseEvent e) noexcept {
    if (std::uint64_t after = 0; half_close_fast::step(s.bits(), e, after)) {
        HalfCloseResult r;
        r.before = s;
        r.after = HalfCloseState{after};
        return r;
    }
    Facts f = decode(s.bits());
    const Outcome o = step(f, e);
    HalfCloseResult r;
    r.before = s;
    r.error = o.error;
    r.actions = o.actions;
    r.after = o.error == 0 ? HalfCloseState{encode(f)} : s;
    return r;
}

HalfCloseResult HalfClose::shutdown(int how) noexcept {
    switch (how) {
    case SD_RECEIVE:
        return apply(HalfCloseEvent::shutdown_receive);
    case SD_SEND:
        return apply(HalfCloseEvent::shutdown_send);
    case SD_BOTH:
        return apply(HalfCloseEvent::shutdown_both);
    default:
        return apply(HalfCloseEvent::shutdown_invalid);
    }
}

HalfCloseResult HalfClose::send_disconnect(bool outbound_data_non_null) noexcept {
    return apply(outbound_data_non_null ? HalfCloseEvent::send_disconnect_with_data
                                        : HalfCloseEvent::send_disconnect);
}

HalfCloseResult HalfClose::close(bool abortive) noexcept {
    return apply(abortive ? HalfCloseEvent::close_abortive : HalfCloseEvent::close_graceful);
}

} // namespace riosp::provider
