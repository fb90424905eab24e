// Exhaustive (state x event) test. Every state reachable from the three initial states (fresh and
// accepted stream socket, fresh datagram socket) is found by breadth-first search over all events
// (outstanding-operation counters capped at 2, which covers "none", "the last one" and "more than
// one"); every event is applied to every one of them and the result - error, actions and next
// state - is compared with the golden decision table of its kind of socket below.
//
// The tables are written by hand from docs/half-close.md (its rules and the decisions D1..D19), as
// ordered rules per event (first match wins); they are not generated from the implementation. A
// changed rule makes some (state, event) pair disagree, and a rule that never matches any
// reachable state fails too (a dead rule is a mistake in the table). No row changes the datagram
// fact, so every transition is also checked to keep it.
#include <riosp/spi.h>

#include "provider/half_close.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace riosp::provider {
namespace {

using A = HalfCloseAction;
using E = HalfCloseEvent;

// ---- pattern language ---------------------------------------------------------------------------
enum class L : std::uint8_t { any, open, closing, closed, dead }; // dead: closing or closed
enum class C : std::uint8_t { any, unconnected, listening, connecting, connected, not_connected };
enum class S : std::uint8_t { any, open, draining, fin_issued, fin_sent, not_open };
enum class B : std::uint8_t { any, no, yes };
enum class N : std::uint8_t { any, zero, one, nonzero };

struct When {
    L life = L::any;
    C conn = C::any;
    S send = S::any;
    B recv_shut = B::any;
    B fin_arrived = B::any;
    B peer_fin = B::any;
    B reset = B::any;
    N sends = N::any;
    N io = N::any;
};

// What changes; `any` = unchanged.
struct Then {
    L life = L::any;
    C conn = C::any;
    S send = S::any;
    B recv_shut = B::any;
    B fin_arrived = B::any;
    B peer_fin = B::any;
    B reset = B::any;
    B abortive = B::any;
    int sends = 0; // delta
    int io = 0;    // delta
};

struct Row {
    std::uint32_t events; // bit per event
    When when;
    int error = 0;
    A actions = A::none;
    Then then = {};
};

template <class... Es> constexpr std::uint32_t ev(Es... es) {
    return ((1u << static_cast<unsigned>(es)) | ...);
}

// ---- the golden tables --------------------------------------------------------------------------
// Stream (TCP) sockets.
// clang-format off
const Row golden[] = {
    // WSPListen (D13)
    {ev(E::listen), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::listen), {.conn = C::connected}, WSAEISCONN},
    {ev(E::listen), {.conn = C::connecting}, WSAEISCONN},
    {ev(E::listen), {}, 0, A::none, {.conn = C::listening}},

    // send (D5)
    {ev(E::begin_send), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::begin_send), {.conn = C::not_connected}, WSAENOTCONN},
    {ev(E::begin_send), {.send = S::not_open}, WSAESHUTDOWN},
    {ev(E::begin_send), {.reset = B::yes}, WSAECONNRESET},
    {ev(E::begin_send), {}, 0, A::none, {.sends = +1}},

    // receive (D5): 0 bytes after the peer's FIN
    {ev(E::begin_recv), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::begin_recv), {.conn = C::not_connected}, WSAENOTCONN},
    {ev(E::begin_recv), {.recv_shut = B::yes}, WSAESHUTDOWN},
    {ev(E::begin_recv), {.reset = B::yes}, WSAECONNRESET},
    {ev(E::begin_recv), {.peer_fin = B::yes}, 0, A::complete_eof},
    {ev(E::begin_recv), {}, 0, A::none, {.io = +1}},

    // other overlapped operations
    {ev(E::begin_io), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::begin_io), {}, 0, A::none, {.io = +1}},

    // WSPConnect starts an attempt (D15)
    {ev(E::connect_started), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::connect_started), {.conn = C::connected}, WSAEISCONN},
    {ev(E::connect_started), {.conn = C::listening}, WSAEINVAL},
    {ev(E::connect_started), {.conn = C::connecting}, WSAEALREADY},
    {ev(E::connect_started), {}, 0, A::none, {.conn = C::connecting}},

    // WSPSendDisconnect(NULL) = WSPShutdown(SD_SEND) (D3, D4, D6)
    {ev(E::send_disconnect, E::shutdown_send), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::send_disconnect, E::shutdown_send), {.conn = C::not_connected}, WSAENOTCONN},
    {ev(E::send_disconnect, E::shutdown_send), {.reset = B::yes}, WSAENOTCONN},
    {ev(E::send_disconnect, E::shutdown_send), {.send = S::not_open}, 0, A::none},
    {ev(E::send_disconnect, E::shutdown_send), {.sends = N::zero}, 0, A::issue_fin, {.send = S::fin_issued}},
    {ev(E::send_disconnect, E::shutdown_send), {}, 0, A::none, {.send = S::draining}},

    // WSPSendDisconnect(data) on TCP (D1, D2)
    {ev(E::send_disconnect_with_data), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::send_disconnect_with_data), {}, WSAENOPROTOOPT},

    // WSPRecvDisconnect = WSPShutdown(SD_RECEIVE): no action at all (D8)
    {ev(E::recv_disconnect, E::shutdown_receive), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::recv_disconnect, E::shutdown_receive), {.conn = C::not_connected}, WSAENOTCONN},
    {ev(E::recv_disconnect, E::shutdown_receive), {.reset = B::yes}, WSAENOTCONN},
    {ev(E::recv_disconnect, E::shutdown_receive), {}, 0, A::none, {.recv_shut = B::yes}},

    // WSPShutdown(SD_BOTH)
    {ev(E::shutdown_both), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::shutdown_both), {.conn = C::not_connected}, WSAENOTCONN},
    {ev(E::shutdown_both), {.reset = B::yes}, WSAENOTCONN},
    {ev(E::shutdown_both), {.send = S::not_open}, 0, A::none, {.recv_shut = B::yes}},
    {ev(E::shutdown_both), {.sends = N::zero}, 0, A::issue_fin, {.send = S::fin_issued, .recv_shut = B::yes}},
    {ev(E::shutdown_both), {}, 0, A::none, {.send = S::draining, .recv_shut = B::yes}},

    // WSPShutdown(other how) (D1)
    {ev(E::shutdown_invalid), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::shutdown_invalid), {}, WSAEINVAL},

    // WSPCloseSocket, SO_LINGER {1,n} non-blocking: would block while sends or the FIN are
    // outstanding (D10), otherwise a graceful close
    {ev(E::close_linger_nonblocking), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::close_linger_nonblocking), {.sends = N::nonzero}, WSAEWOULDBLOCK},
    {ev(E::close_linger_nonblocking), {.send = S::fin_issued}, WSAEWOULDBLOCK},

    // WSPCloseSocket, graceful (D9)
    {ev(E::close_graceful, E::close_linger_nonblocking), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::close_graceful, E::close_linger_nonblocking), {.sends = N::nonzero}, 0, A::abort_pending, {.life = L::closing}},
    {ev(E::close_graceful, E::close_linger_nonblocking), {.io = N::nonzero}, 0, A::abort_pending, {.life = L::closing}},
    {ev(E::close_graceful, E::close_linger_nonblocking), {.send = S::fin_issued}, 0, A::none, {.life = L::closing}},
    {ev(E::close_graceful, E::close_linger_nonblocking), {}, 0, A::release_socket, {.life = L::closed}},

    // WSPCloseSocket, SO_LINGER {1,0}: RST on a live connection (D9)
    {ev(E::close_abortive), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::close_abortive), {.conn = C::connected, .reset = B::no, .sends = N::nonzero}, 0, A::abort_pending | A::send_rst, {.life = L::closing, .reset = B::yes, .abortive = B::yes}},
    {ev(E::close_abortive), {.conn = C::connected, .reset = B::no, .io = N::nonzero}, 0, A::abort_pending | A::send_rst, {.life = L::closing, .reset = B::yes, .abortive = B::yes}},
    {ev(E::close_abortive), {.conn = C::connected, .send = S::fin_issued, .reset = B::no}, 0, A::send_rst, {.life = L::closing, .reset = B::yes, .abortive = B::yes}},
    {ev(E::close_abortive), {.conn = C::connected, .reset = B::no}, 0, A::send_rst | A::release_socket, {.life = L::closed, .reset = B::yes, .abortive = B::yes}},
    {ev(E::close_abortive), {.sends = N::nonzero}, 0, A::abort_pending, {.life = L::closing, .abortive = B::yes}},
    {ev(E::close_abortive), {.io = N::nonzero}, 0, A::abort_pending, {.life = L::closing, .abortive = B::yes}},
    {ev(E::close_abortive), {.send = S::fin_issued}, 0, A::none, {.life = L::closing, .abortive = B::yes}},
    {ev(E::close_abortive), {}, 0, A::release_socket, {.life = L::closed, .abortive = B::yes}},

    // connect completed (D12, D15)
    {ev(E::connect_established), {.life = L::closing}, WSA_OPERATION_ABORTED},
    {ev(E::connect_established), {.life = L::closed}, WSAEINVAL},
    {ev(E::connect_established), {.conn = C::connecting}, 0, A::none, {.conn = C::connected}},
    {ev(E::connect_established), {}, WSAEINVAL},

    // connect failed (D15): back to unconnected, also while closing
    {ev(E::connect_failed), {.life = L::closed}, WSAEINVAL},
    {ev(E::connect_failed), {.conn = C::connecting}, 0, A::none, {.conn = C::unconnected}},
    {ev(E::connect_failed), {}, WSAEINVAL},

    // a send completed: the last one issues the deferred FIN (D6, D7) or releases (D9)
    {ev(E::send_done), {.sends = N::zero}, WSAEINVAL},
    {ev(E::send_done), {.life = L::open, .send = S::draining, .reset = B::no, .sends = N::one}, 0, A::issue_fin, {.send = S::fin_issued, .sends = -1}},
    {ev(E::send_done), {.life = L::closing, .sends = N::one, .io = N::zero}, 0, A::release_socket, {.life = L::closed, .sends = -1}},
    {ev(E::send_done), {}, 0, A::none, {.sends = -1}},

    // another operation completed (D9)
    {ev(E::io_done), {.io = N::zero}, WSAEINVAL},
    {ev(E::io_done), {.life = L::closing, .send = S::fin_issued}, 0, A::none, {.io = -1}},
    {ev(E::io_done), {.life = L::closing, .sends = N::zero, .io = N::one}, 0, A::release_socket, {.life = L::closed, .io = -1}},
    {ev(E::io_done), {}, 0, A::none, {.io = -1}},

    // the FIN operation completed
    {ev(E::fin_sent), {.life = L::closing, .send = S::fin_issued, .io = N::zero}, 0, A::release_socket, {.life = L::closed, .send = S::fin_sent}},
    {ev(E::fin_sent), {.send = S::fin_issued}, 0, A::none, {.send = S::fin_sent}},
    {ev(E::fin_sent), {}, WSAEINVAL},

    // the peer's FIN seen by riosp: FD_CLOSE once, never after close (D11, D9)
    {ev(E::fin_arrived), {.life = L::closed}, WSAEINVAL},
    {ev(E::fin_arrived), {.conn = C::not_connected}, WSAEINVAL},
    {ev(E::fin_arrived), {.reset = B::yes}, 0, A::none},
    {ev(E::fin_arrived), {.fin_arrived = B::yes}, 0, A::none},
    {ev(E::fin_arrived), {.life = L::open}, 0, A::raise_fd_close, {.fin_arrived = B::yes}},
    {ev(E::fin_arrived), {}, 0, A::none, {.fin_arrived = B::yes}},

    // the stream ended for the application; with nothing buffered also the FIN's arrival
    {ev(E::peer_fin), {.life = L::closed}, WSAEINVAL},
    {ev(E::peer_fin), {.conn = C::not_connected}, WSAEINVAL},
    {ev(E::peer_fin), {.reset = B::yes}, 0, A::none},
    {ev(E::peer_fin), {.peer_fin = B::yes}, 0, A::none},
    {ev(E::peer_fin), {.fin_arrived = B::yes}, 0, A::none, {.peer_fin = B::yes}},
    {ev(E::peer_fin), {.life = L::open}, 0, A::raise_fd_close, {.fin_arrived = B::yes, .peer_fin = B::yes}},
    {ev(E::peer_fin), {}, 0, A::none, {.fin_arrived = B::yes, .peer_fin = B::yes}},

    // the peer's reset
    {ev(E::peer_reset), {.life = L::closed}, WSAEINVAL},
    {ev(E::peer_reset), {.conn = C::not_connected}, WSAEINVAL},
    {ev(E::peer_reset), {.reset = B::yes}, 0, A::none},
    {ev(E::peer_reset), {.life = L::open, .fin_arrived = B::no}, 0, A::raise_fd_close, {.reset = B::yes}},
    {ev(E::peer_reset), {}, 0, A::none, {.reset = B::yes}},
};

// Datagram (UDP) sockets ("Datagram sockets", D16..D19): conn stays unconnected, no FIN, reset
// or linger.
const Row golden_datagram[] = {
    // WSPListen: a datagram socket cannot listen (D16)
    {ev(E::listen), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::listen), {}, WSAEOPNOTSUPP},

    // send: no connection needed (D16); refused once the send side was shut (D17)
    {ev(E::begin_send), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::begin_send), {.send = S::not_open}, WSAESHUTDOWN},
    {ev(E::begin_send), {}, 0, A::none, {.sends = +1}},

    // receive: never an end of stream (D16); refused once the receive side was shut (D18)
    {ev(E::begin_recv), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::begin_recv), {.recv_shut = B::yes}, WSAESHUTDOWN},
    {ev(E::begin_recv), {}, 0, A::none, {.io = +1}},

    // other overlapped operations
    {ev(E::begin_io), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::begin_io), {}, 0, A::none, {.io = +1}},

    // WSPConnect: the kernel's default peer, not a state of the machine (D16)
    {ev(E::connect_started), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::connect_started), {}, 0, A::none},

    // WSPSendDisconnect(NULL) = WSPShutdown(SD_SEND): the send side only, nothing on the wire,
    // however many sends are outstanding; again: the same, quietly (D3, D17)
    {ev(E::send_disconnect, E::shutdown_send), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::send_disconnect, E::shutdown_send), {}, 0, A::none, {.send = S::fin_sent}},

    // WSPSendDisconnect(data) (D1, D2)
    {ev(E::send_disconnect_with_data), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::send_disconnect_with_data), {}, WSAENOPROTOOPT},

    // WSPRecvDisconnect = WSPShutdown(SD_RECEIVE): no WSAENOTCONN, no action (D16, D18)
    {ev(E::recv_disconnect, E::shutdown_receive), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::recv_disconnect, E::shutdown_receive), {}, 0, A::none, {.recv_shut = B::yes}},

    // WSPShutdown(SD_BOTH), WSPShutdown(other how) (D1)
    {ev(E::shutdown_both), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::shutdown_both), {}, 0, A::none, {.send = S::fin_sent, .recv_shut = B::yes}},
    {ev(E::shutdown_invalid), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::shutdown_invalid), {}, WSAEINVAL},

    // WSPCloseSocket, whatever SO_LINGER says: no linger, no RST, never would block (D19)
    {ev(E::close_graceful, E::close_abortive, E::close_linger_nonblocking), {.life = L::dead}, WSAENOTSOCK},
    {ev(E::close_graceful, E::close_abortive, E::close_linger_nonblocking), {.sends = N::nonzero}, 0, A::abort_pending, {.life = L::closing}},
    {ev(E::close_graceful, E::close_abortive, E::close_linger_nonblocking), {.io = N::nonzero}, 0, A::abort_pending, {.life = L::closing}},
    {ev(E::close_graceful, E::close_abortive, E::close_linger_nonblocking), {}, 0, A::release_socket, {.life = L::closed}},

    // facts of a connection, which a datagram socket has not (D12, D16)
    {ev(E::connect_established, E::connect_failed, E::fin_sent, E::fin_arrived, E::peer_fin, E::peer_reset), {}, WSAEINVAL},

    // completions: the last one after close releases (D9); no FIN to issue (D17)
    {ev(E::send_done), {.sends = N::zero}, WSAEINVAL},
    {ev(E::send_done), {.life = L::closing, .sends = N::one, .io = N::zero}, 0, A::release_socket, {.life = L::closed, .sends = -1}},
    {ev(E::send_done), {}, 0, A::none, {.sends = -1}},
    {ev(E::io_done), {.io = N::zero}, WSAEINVAL},
    {ev(E::io_done), {.life = L::closing, .sends = N::zero, .io = N::one}, 0, A::release_socket, {.life = L::closed, .io = -1}},
    {ev(E::io_done), {}, 0, A::none, {.io = -1}},
};
// clang-format on

// ---- matching -----------------------------------------------------------------------------------
bool match(L p, HalfCloseLife v) {
    switch (p) {
    case L::any:
        return true;
    case L::open:
        return v == HalfCloseLife::open;
    case L::closing:
        return v == HalfCloseLife::closing;
    case L::closed:
        return v == HalfCloseLife::closed;
    case L::dead:
        return v != HalfCloseLife::open;
    }
    return false;
}
bool match(C p, HalfCloseConn v) {
    switch (p) {
    case C::any:
        return true;
    case C::unconnected:
        return v == HalfCloseConn::unconnected;
    case C::listening:
        return v == HalfCloseConn::listening;
    case C::connecting:
        return v == HalfCloseConn::connecting;
    case C::connected:
        return v == HalfCloseConn::connected;
    case C::not_connected:
        return v != HalfCloseConn::connected;
    }
    return false;
}
bool match(S p, HalfCloseSend v) {
    switch (p) {
    case S::any:
        return true;
    case S::open:
        return v == HalfCloseSend::open;
    case S::draining:
        return v == HalfCloseSend::draining;
    case S::fin_issued:
        return v == HalfCloseSend::fin_issued;
    case S::fin_sent:
        return v == HalfCloseSend::fin_sent;
    case S::not_open:
        return v != HalfCloseSend::open;
    }
    return false;
}
bool match(B p, bool v) {
    return p == B::any || (p == B::yes) == v;
}
bool match(N p, std::uint32_t v) {
    switch (p) {
    case N::any:
        return true;
    case N::zero:
        return v == 0;
    case N::one:
        return v == 1;
    case N::nonzero:
        return v != 0;
    }
    return false;
}

bool match(const When& w, HalfCloseState s) {
    return match(w.life, s.life()) && match(w.conn, s.conn()) && match(w.send, s.send()) &&
           match(w.recv_shut, s.recv_shutdown()) && match(w.fin_arrived, s.fin_arrived()) &&
           match(w.peer_fin, s.peer_fin()) && match(w.reset, s.reset()) &&
           match(w.sends, s.pending_sends()) && match(w.io, s.pending_io());
}

// The expected state after, as the same facts (checked field by field).
struct Expected {
    HalfCloseLife life;
    HalfCloseConn conn;
    HalfCloseSend send;
    bool recv_shut, fin_arrived, peer_fin, reset, abortive, datagram;
    std::uint32_t sends, io;
};

Expected apply(const Then& t, HalfCloseState s) {
    Expected x{s.life(),        s.conn(),          s.send(),      s.recv_shutdown(),
               s.fin_arrived(), s.peer_fin(),      s.reset(),     s.abortive(),
               s.datagram(),    s.pending_sends(), s.pending_io()};
    if (t.life == L::open)
        x.life = HalfCloseLife::open;
    if (t.life == L::closing)
        x.life = HalfCloseLife::closing;
    if (t.life == L::closed)
        x.life = HalfCloseLife::closed;
    if (t.conn == C::unconnected)
        x.conn = HalfCloseConn::unconnected;
    if (t.conn == C::listening)
        x.conn = HalfCloseConn::listening;
    if (t.conn == C::connecting)
        x.conn = HalfCloseConn::connecting;
    if (t.conn == C::connected)
        x.conn = HalfCloseConn::connected;
    if (t.send == S::draining)
        x.send = HalfCloseSend::draining;
    if (t.send == S::fin_issued)
        x.send = HalfCloseSend::fin_issued;
    if (t.send == S::fin_sent)
        x.send = HalfCloseSend::fin_sent;
    if (t.recv_shut != B::any)
        x.recv_shut = t.recv_shut == B::yes;
    if (t.fin_arrived != B::any)
        x.fin_arrived = t.fin_arrived == B::yes;
    if (t.peer_fin != B::any)
        x.peer_fin = t.peer_fin == B::yes;
    if (t.reset != B::any)
        x.reset = t.reset == B::yes;
    if (t.abortive != B::any)
        x.abortive = t.abortive == B::yes;
    x.sends = static_cast<std::uint32_t>(static_cast<int>(x.sends) + t.sends);
    x.io = static_cast<std::uint32_t>(static_cast<int>(x.io) + t.io);
    return x;
}

bool same(const Expected& x, HalfCloseState s) {
    return x.life == s.life() && x.conn == s.conn() && x.send == s.send() &&
           x.recv_shut == s.recv_shutdown() && x.fin_arrived == s.fin_arrived() &&
           x.peer_fin == s.peer_fin() && x.reset == s.reset() && x.abortive == s.abortive() &&
           x.datagram == s.datagram() && x.sends == s.pending_sends() && x.io == s.pending_io();
}

constexpr std::uint32_t counter_cap = 2;

std::string text(HalfCloseState s) {
    std::array<char, HalfCloseState::describe_max> buf{};
    return std::string{s.describe(buf)};
}

std::vector<HalfCloseState> reachable_states() {
    std::set<std::uint64_t> seen;
    std::deque<HalfCloseState> queue{HalfCloseState::unconnected(), HalfCloseState::connected(),
                                     HalfCloseState::datagram_socket()};
    std::vector<HalfCloseState> out;
    for (HalfCloseState s : queue)
        seen.insert(s.bits());
    while (!queue.empty()) {
        const HalfCloseState s = queue.front();
        queue.pop_front();
        out.push_back(s);
        for (std::size_t i = 0; i < half_close_event_count; ++i) {
            const HalfCloseState n = half_close_step(s, static_cast<E>(i)).after;
            if (n.pending_sends() > counter_cap || n.pending_io() > counter_cap)
                continue;
            if (seen.insert(n.bits()).second)
                queue.push_back(n);
        }
    }
    return out;
}

TEST(HalfCloseTable, EveryReachableStateAndEventMatchesTheGoldenTable) {
    const std::vector<HalfCloseState> states = reachable_states();
    std::vector<int> row_hits(std::size(golden), 0),
        datagram_row_hits(std::size(golden_datagram), 0);
    int mismatches = 0;
    for (HalfCloseState s : states) {
        const std::span<const Row> table =
            s.datagram() ? std::span<const Row>{golden_datagram} : std::span<const Row>{golden};
        std::vector<int>& hits = s.datagram() ? datagram_row_hits : row_hits;
        for (std::size_t i = 0; i < half_close_event_count; ++i) {
            const E e = static_cast<E>(i);
            const HalfCloseResult r = half_close_step(s, e);
            std::size_t k = 0;
            while (k < table.size() && !((table[k].events & ev(e)) && match(table[k].when, s)))
                ++k;
            ASSERT_LT(k, table.size()) << "no golden row for " << to_string(e) << " in " << text(s);
            ++hits[k];
            const Row& row = table[k];
            const Expected x = row.error != 0 ? apply(Then{}, s) : apply(row.then, s);
            const A actions = row.error != 0 ? A::none : row.actions;
            if (r.error != row.error || r.actions != actions || !same(x, r.after) ||
                r.before != s) {
                std::array<char, 96> want{}, got{};
                ADD_FAILURE() << to_string(e) << " in [" << text(s) << "] (golden row " << k
                              << "): want error " << row.error << " actions "
                              << describe(actions, want) << ", got error " << r.error << " actions "
                              << describe(r.actions, got) << " -> [" << text(r.after) << "]";
                if (++mismatches > 20)
                    return;
            }
        }
    }
    for (const auto& [name, hits] :
         {std::pair{"golden", &row_hits}, std::pair{"golden_datagram", &datagram_row_hits}})
        for (std::size_t k = 0; k < hits->size(); ++k)
            EXPECT_GT((*hits)[k], 0) << name << " row " << k << " never matches a reachable state";
}

TEST(HalfCloseTable, ReachableStatesAreExactlyThePossibleOnes) {
    // Every reachable state passes the invariants of from_bits(), and every bit pattern the
    // invariants accept (counters within the cap) is reachable: nothing impossible can be stored,
    // and nothing storable is meaningless.
    const std::vector<HalfCloseState> states = reachable_states();
    std::set<std::uint64_t> reachable;
    for (HalfCloseState s : states) {
        EXPECT_TRUE(HalfCloseState::from_bits(s.bits()).has_value()) << text(s);
        reachable.insert(s.bits());
    }
    std::set<std::uint64_t> possible;
    for (std::uint64_t facts = 0; facts < 0x1000; ++facts)
        for (std::uint64_t ps = 0; ps <= counter_cap; ++ps)
            for (std::uint64_t po = 0; po <= counter_cap; ++po) {
                const std::uint64_t bits = facts | ps << 16 | po << 40;
                if (HalfCloseState::from_bits(bits))
                    possible.insert(bits);
            }
    for (std::uint64_t b : possible)
        EXPECT_TRUE(reachable.count(b))
            << "storable but unreachable: " << text(*HalfCloseState::from_bits(b));
    EXPECT_EQ(possible.size(), reachable.size());
}

TEST(HalfCloseTable, EveryStateAndTransitionFitsItsLogBuffer) {
    // The longest possible description (every fact, both counters at their maximum) fits.
    const auto longest = HalfCloseState::from_bits(
        0x2u | 0x2u << 2 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 0x1u << 8 | 1u << 10 |
        std::uint64_t{HalfCloseState::max_pending} << 40);
    ASSERT_TRUE(longest.has_value());
    std::array<char, HalfCloseState::describe_max> buf{};
    EXPECT_LT(longest->describe(buf).size(), buf.size()) << longest->describe(buf);
    std::array<char, half_close_transition_max> line{};
    for (HalfCloseState s : reachable_states())
        for (std::size_t i = 0; i < half_close_event_count; ++i) {
            const std::string_view t =
                format_transition(static_cast<E>(i), half_close_step(s, static_cast<E>(i)), line);
            EXPECT_LT(t.size(), line.size()) << t;
            EXPECT_EQ(t.back(), ')') << t;
        }
}

TEST(HalfCloseTable, EveryNamedStateIsReachable) {
    // The derived named states, by hand from docs/half-close.md ("The state: facts per direction").
    const std::set<HalfClosePhase> expected{
        HalfClosePhase::unconnected,   HalfClosePhase::listening,     HalfClosePhase::connecting,
        HalfClosePhase::established,   HalfClosePhase::send_shutdown, HalfClosePhase::peer_shutdown,
        HalfClosePhase::both_shutdown, HalfClosePhase::reset,         HalfClosePhase::closing,
        HalfClosePhase::closed};
    std::set<HalfClosePhase> seen;
    for (HalfCloseState s : reachable_states())
        seen.insert(s.phase());
    EXPECT_EQ(seen, expected);
}

TEST(HalfCloseTable, DatagramSocketsAreUnconnectedUntilClosedAndStayDatagram) {
    // D16: the machine models no connection for a datagram socket, so while it is open its phase
    // is unconnected, whatever its directions; no stream state is reachable from it, nor it from
    // a stream socket.
    std::set<HalfClosePhase> seen;
    int datagram_states = 0;
    for (HalfCloseState s : reachable_states()) {
        if (!s.datagram())
            continue;
        ++datagram_states;
        seen.insert(s.phase());
        for (std::size_t i = 0; i < half_close_event_count; ++i)
            EXPECT_TRUE(half_close_step(s, static_cast<E>(i)).after.datagram()) << text(s);
    }
    EXPECT_EQ(seen, (std::set{HalfClosePhase::unconnected, HalfClosePhase::closing,
                              HalfClosePhase::closed}));
    // Each of the 4 open/shut pairs of directions with 9 counter pairs while open, the 8 with
    // something outstanding while closing, and nothing outstanding once closed.
    EXPECT_EQ(datagram_states, 4 * (9 + 8 + 1));
}

} // namespace
} // namespace riosp::provider
