// The half-close unit's text: names of events, phases and actions, and the one-line rendering of
// states and transitions for logs and test failures (half_close.h). Kept apart from the
// transition function, which never formats anything.

// <riosp/spi.h> first: on Linux its Windows-layout types must come before any system header.
#include <riosp/spi.h>

#include "half_close.h"

#include <cstring>

namespace riosp::provider {
namespace {

// Appends to a fixed buffer, truncating.
struct Writer {
    std::span<char> out;
    std::size_t n = 0;
    void put(std::string_view s) noexcept {
        const std::size_t room = out.size() - n; // no std::min: <windows.h> defines min()
        const std::size_t k = s.size() < room ? s.size() : room;
        std::memcpy(out.data() + n, s.data(), k);
        n += k;
    }
    void put_uint(std::uint32_t v) noexcept {
        char digits[10];
        std::size_t k = 0;
        do {
            digits[k++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (k != 0 && n < out.size())
            out[n++] = digits[--k];
    }
    [[nodiscard]] std::string_view view() const noexcept { return {out.data(), n}; }
};

// A stream socket's connection, and its send side once connected.
void describe_connection(Writer& w, HalfCloseState s) noexcept {
    switch (s.conn()) {
    case HalfCloseConn::unconnected:
        w.put("unconnected");
        break;
    case HalfCloseConn::listening:
        w.put("listening");
        break;
    case HalfCloseConn::connecting:
        w.put("connecting");
        break;
    case HalfCloseConn::connected:
        w.put("connected send=");
        switch (s.send()) {
        case HalfCloseSend::open:
            w.put("open");
            break;
        case HalfCloseSend::draining:
            w.put("draining");
            break;
        case HalfCloseSend::fin_issued:
            w.put("fin_issued");
            break;
        case HalfCloseSend::fin_sent:
            w.put("fin_sent");
            break;
        }
        break;
    }
}

void describe_state(Writer& w, HalfCloseState s) noexcept {
    if (s.life() == HalfCloseLife::closing)
        w.put(s.abortive() ? "closing(abortive) " : "closing ");
    else if (s.life() == HalfCloseLife::closed)
        w.put(s.abortive() ? "closed(abortive) " : "closed ");
    if (s.datagram()) // UDP has no FIN: its send side is open or shut, whatever the enum says (D17)
        w.put(s.send() == HalfCloseSend::open ? "datagram send=open" : "datagram send=shut");
    else
        describe_connection(w, s);
    if (s.datagram() || s.conn() == HalfCloseConn::connected)
        w.put(s.recv_shutdown() ? " recv=shut" : " recv=open");
    if (s.peer_fin())
        w.put(" peer_fin");
    else if (s.fin_arrived())
        w.put(" fin_arrived");
    if (s.reset())
        w.put(" reset");
    if (s.pending_sends() != 0) {
        w.put(" sends=");
        w.put_uint(s.pending_sends());
    }
    if (s.pending_io() != 0) {
        w.put(" io=");
        w.put_uint(s.pending_io());
    }
}

} // namespace

std::string_view to_string(HalfCloseEvent e) noexcept {
    using E = HalfCloseEvent;
    switch (e) {
    case E::listen:
        return "listen";
    case E::begin_send:
        return "begin_send";
    case E::begin_recv:
        return "begin_recv";
    case E::begin_io:
        return "begin_io";
    case E::connect_started:
        return "connect_started";
    case E::send_disconnect:
        return "send_disconnect";
    case E::send_disconnect_with_data:
        return "send_disconnect_with_data";
    case E::recv_disconnect:
        return "recv_disconnect";
    case E::shutdown_receive:
        return "shutdown_receive";
    case E::shutdown_send:
        return "shutdown_send";
    case E::shutdown_both:
        return "shutdown_both";
    case E::shutdown_invalid:
        return "shutdown_invalid";
    case E::close_graceful:
        return "close_graceful";
    case E::close_abortive:
        return "close_abortive";
    case E::close_linger_nonblocking:
        return "close_linger_nonblocking";
    case E::connect_established:
        return "connect_established";
    case E::connect_failed:
        return "connect_failed";
    case E::send_done:
        return "send_done";
    case E::io_done:
        return "io_done";
    case E::fin_sent:
        return "fin_sent";
    case E::fin_arrived:
        return "fin_arrived";
    case E::peer_fin:
        return "peer_fin";
    case E::peer_reset:
        return "peer_reset";
    }
    return "?";
}

std::string_view to_string(HalfClosePhase p) noexcept {
    switch (p) {
    case HalfClosePhase::unconnected:
        return "unconnected";
    case HalfClosePhase::listening:
        return "listening";
    case HalfClosePhase::connecting:
        return "connecting";
    case HalfClosePhase::established:
        return "established";
    case HalfClosePhase::send_shutdown:
        return "send_shutdown";
    case HalfClosePhase::peer_shutdown:
        return "peer_shutdown";
    case HalfClosePhase::both_shutdown:
        return "both_shutdown";
    case HalfClosePhase::reset:
        return "reset";
    case HalfClosePhase::closing:
        return "closing";
    case HalfClosePhase::closed:
        return "closed";
    }
    return "?";
}

std::string_view describe(HalfCloseAction actions, std::span<char> out) noexcept {
    static constexpr std::string_view names[] = {"abort_pending",  "send_rst",
                                                 "issue_fin",      "complete_eof",
                                                 "raise_fd_close", "release_socket"};
    Writer w{out};
    bool first = true;
    for (unsigned i = 0; i < std::size(names); ++i) {
        if ((static_cast<unsigned>(actions) >> i) & 1u) {
            if (!first)
                w.put("|");
            w.put(names[i]);
            first = false;
        }
    }
    if (first)
        w.put("none");
    return w.view();
}

std::string_view HalfCloseState::describe(std::span<char> out) const noexcept {
    Writer w{out};
    describe_state(w, *this);
    return w.view();
}

std::string_view format_transition(HalfCloseEvent e, const HalfCloseResult& r,
                                   std::span<char> out) noexcept {
    Writer w{out};
    describe_state(w, r.before);
    if (r.changed()) {
        w.put(" -> ");
        describe_state(w, r.after);
    }
    w.put(" (");
    w.put(to_string(e));
    w.put(": ");
    if (r.error != 0) {
        w.put(wsa::name(r.error).view());
    } else {
        char buf[96];
        w.put(describe(r.actions, buf));
    }
    w.put(")");
    return w.view();
}

} // namespace riosp::provider
