// One test per datagram rule of docs/half-close.md ("Datagram sockets", D16..D19), named after
// the behaviour it proves. The stream rules are in half_close_test.cpp.
#include "half_close_spec.h"

#include <array>
#include <string>

namespace riosp::provider {
namespace {

using namespace spec;

// A machine for a fresh datagram socket.
struct Udp : HalfClose {
    Udp() noexcept : HalfClose(HalfCloseState::datagram_socket()) {}
};

constexpr std::array close_events{E::close_graceful, E::close_abortive,
                                  E::close_linger_nonblocking};
constexpr std::array connection_facts{E::connect_established, E::connect_failed, E::fin_sent,
                                      E::fin_arrived,         E::peer_fin,       E::peer_reset};

// ---- the initial state -------------------------------------------------------------------------
TEST(HalfCloseDatagramSpec, ADatagramSocketStartsOpenUnconnectedAndStaysDatagram) {
    const HalfCloseState s = HalfCloseState::datagram_socket();
    EXPECT_TRUE(s.datagram());
    EXPECT_EQ(s.conn(), HalfCloseConn::unconnected);
    EXPECT_EQ(s.send(), HalfCloseSend::open);
    EXPECT_FALSE(s.recv_shutdown());
    EXPECT_EQ(s.life(), HalfCloseLife::open);
    EXPECT_EQ(s.pending_sends() + s.pending_io(), 0u);
    EXPECT_EQ(s.phase(), HalfClosePhase::unconnected) << "D16: no connection is modelled";
    EXPECT_FALSE(HalfCloseState::unconnected().datagram());
    EXPECT_FALSE(HalfCloseState::connected().datagram());
    Udp m;
    run(m, {E::begin_send, E::shutdown_both, E::send_done, E::close_abortive});
    EXPECT_TRUE(m.load().datagram()) << "closed, and still a datagram socket";
}

// ---- D16: no connection -------------------------------------------------------------------------
TEST(HalfCloseDatagramSpec, ListenFailsWithOpNotSupp) {
    Udp m;
    const HalfCloseResult r = m.apply(E::listen);
    EXPECT_EQ(r.error, WSAEOPNOTSUPP);
    EXPECT_FALSE(r.changed());
}

TEST(HalfCloseDatagramSpec, SendsAndReceivesNeedNoConnectionAndAreCounted) {
    Udp m;
    EXPECT_EQ(m.apply(E::begin_send).error, 0);
    EXPECT_EQ(m.apply(E::begin_send).after.pending_sends(), 2u);
    const HalfCloseResult r = m.apply(E::begin_recv);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::none) << "no end of stream on a datagram socket";
    EXPECT_EQ(r.after.pending_io(), 1u);
    EXPECT_EQ(m.apply(E::begin_io).after.pending_io(), 2u) << "other overlapped operations too";
}

TEST(HalfCloseDatagramSpec, ConnectChangesNothingInTheMachine) {
    Udp m;
    for (int i = 0; i < 2; ++i) { // connect(2) again sets another default peer
        const HalfCloseResult r = m.apply(E::connect_started);
        EXPECT_EQ(r.error, 0);
        EXPECT_EQ(r.actions, A::none);
        EXPECT_FALSE(r.changed()) << "the default peer is the kernel's fact";
    }
    EXPECT_EQ(m.apply(E::begin_send).error, 0);
}

TEST(HalfCloseDatagramSpec, ConnectionFactsCannotHappen) {
    Udp m;
    auto expect_rejected = [&](const char* when) {
        for (E e : connection_facts) {
            const HalfCloseResult r = m.apply(e);
            EXPECT_EQ(r.error, WSAEINVAL) << to_string(e) << " " << when;
            EXPECT_FALSE(r.changed()) << to_string(e) << " " << when;
        }
    };
    expect_rejected("when fresh");
    run(m, {E::connect_started, E::shutdown_send});
    expect_rejected("after connect and SD_SEND");
    run(m, {E::begin_recv, E::close_graceful});
    expect_rejected("while closing (no WSA_OPERATION_ABORTED race either)");
}

TEST(HalfCloseDatagramSpec, ShutdownsAndDisconnectsNeedNoConnection) {
    for (E e : {E::send_disconnect, E::shutdown_send, E::recv_disconnect, E::shutdown_receive,
                E::shutdown_both}) {
        Udp m;
        const HalfCloseResult r = m.apply(e);
        EXPECT_EQ(r.error, 0) << to_string(e) << ": WSAENOTCONN is for connection-oriented sockets";
        EXPECT_EQ(r.actions, A::none) << to_string(e);
        EXPECT_TRUE(r.changed()) << to_string(e);
    }
}

// ---- D17: SD_SEND marks the send side only
// --------------------------------------------------------
TEST(HalfCloseDatagramSpec, SendDisconnectShutsTheSendSideWithoutAFinEvenWithSendsOutstanding) {
    Udp m;
    run(m, {E::begin_send, E::begin_send});
    const HalfCloseResult r = m.send_disconnect(false);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::none) << "UDP has no FIN: nothing goes on the wire";
    EXPECT_EQ(r.after.send(), HalfCloseSend::fin_sent);
    EXPECT_EQ(r.after.pending_sends(), 2u) << "accepted sends are not touched";
    EXPECT_EQ(m.apply(E::begin_send).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::begin_recv).error, 0) << "the receive side stays open";
    for (int i = 0; i < 2; ++i) {
        const HalfCloseResult done = m.apply(E::send_done);
        EXPECT_EQ(done.error, 0);
        EXPECT_EQ(done.actions, A::none) << "the last send issues no FIN either";
    }
    EXPECT_EQ(m.apply(E::fin_sent).error, WSAEINVAL);
}

TEST(HalfCloseDatagramSpec, ShutdownSendShutsTheSendSideAtOnce) {
    Udp m;
    const HalfCloseResult r = m.shutdown(SD_SEND);
    EXPECT_EQ(r.actions, A::none);
    EXPECT_EQ(r.after.send(), HalfCloseSend::fin_sent);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAESHUTDOWN);
}

TEST(HalfCloseDatagramSpec, RepeatedShutdownSucceedsAndChangesNothing) {
    Udp m;
    ASSERT_EQ(m.shutdown(SD_BOTH).error, 0);
    for (const HalfCloseResult& r :
         {m.shutdown(SD_SEND), m.send_disconnect(false), m.shutdown(SD_BOTH),
          m.shutdown(SD_RECEIVE), m.apply(E::recv_disconnect)}) {
        EXPECT_EQ(r.error, 0) << "D3, as for a stream socket";
        EXPECT_EQ(r.actions, A::none);
        EXPECT_FALSE(r.changed());
    }
}

TEST(HalfCloseDatagramSpec, SendDisconnectWithOutboundDataFailsWithNoProtoOpt) {
    Udp m;
    const HalfCloseResult r = m.send_disconnect(true);
    EXPECT_EQ(r.error, WSAENOPROTOOPT);
    EXPECT_FALSE(r.changed());
    EXPECT_EQ(m.apply(E::begin_send).error, 0) << "sending is still enabled";
}

// ---- D18: SD_RECEIVE refuses receives, datagrams still queue
// ----------------------------------------
TEST(HalfCloseDatagramSpec, RecvDisconnectRefusesReceivesAndTouchesNothingElse) {
    Udp m;
    run(m, {E::begin_recv});
    const HalfCloseResult r = m.apply(E::recv_disconnect);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::none) << "no abort of the pending receive, nothing on the wire";
    EXPECT_TRUE(r.after.recv_shutdown());
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::io_done).actions, A::none) << "the pending receive completes normally";
    EXPECT_EQ(m.apply(E::begin_send).error, 0) << "the send side stays open";
}

TEST(HalfCloseDatagramSpec, ShutdownReceiveRefusesReceives) {
    Udp m;
    ASSERT_EQ(m.shutdown(SD_RECEIVE).error, 0);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
}

TEST(HalfCloseDatagramSpec, ShutdownBothRefusesSendsAndReceivesWithNoAction) {
    Udp m;
    const HalfCloseResult r = m.shutdown(SD_BOTH);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::none);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
}

TEST(HalfCloseDatagramSpec, InvalidShutdownHowFailsWithInval) {
    Udp m;
    EXPECT_EQ(m.shutdown(3).error, WSAEINVAL);
    EXPECT_EQ(m.shutdown(-1).error, WSAEINVAL);
    EXPECT_EQ(m.apply(E::begin_send).error, 0);
}

// ---- D19: close without linger ---------------------------------------------------------------
TEST(HalfCloseDatagramSpec, EveryCloseWithNothingOutstandingReleasesAtOnce) {
    for (E close : close_events) {
        Udp m;
        run(m, {E::shutdown_send}); // nothing lingers for a shut send side either
        const HalfCloseResult r = m.apply(close);
        EXPECT_EQ(r.error, 0) << to_string(close);
        EXPECT_EQ(r.actions, A::release_socket) << to_string(close) << ": no RST, no linger";
        EXPECT_EQ(r.after.phase(), HalfClosePhase::closed);
        EXPECT_FALSE(r.after.abortive()) << to_string(close);
    }
}

TEST(HalfCloseDatagramSpec, EveryCloseAbortsOutstandingOperationsAndTheLastCompletionReleases) {
    for (E close : close_events) {
        Udp m;
        run(m, {E::begin_send, E::begin_send, E::begin_recv});
        const HalfCloseResult r = m.apply(close);
        EXPECT_EQ(r.error, 0) << to_string(close) << ": never WSAEWOULDBLOCK";
        EXPECT_EQ(r.actions, A::abort_pending) << to_string(close) << ": no RST";
        EXPECT_EQ(r.after.phase(), HalfClosePhase::closing);
        EXPECT_FALSE(r.after.abortive());
        EXPECT_EQ(m.apply(E::send_done).actions, A::none);
        EXPECT_EQ(m.apply(E::io_done).actions, A::none);
        EXPECT_EQ(m.apply(E::send_done).actions, A::release_socket) << to_string(close);
        EXPECT_EQ(m.apply(E::send_done).error, WSAEINVAL) << "one release, nothing left";
        EXPECT_EQ(m.load().phase(), HalfClosePhase::closed);
    }
}

TEST(HalfCloseDatagramSpec, EveryCallAfterCloseFailsWithNotSock) {
    Udp m;
    run(m, {E::begin_recv, E::close_graceful}); // closing
    for (int phase = 0; phase < 2; ++phase) {
        for (E e : {E::listen, E::begin_send, E::begin_recv, E::begin_io, E::connect_started,
                    E::send_disconnect, E::send_disconnect_with_data, E::recv_disconnect,
                    E::shutdown_receive, E::shutdown_send, E::shutdown_both, E::shutdown_invalid,
                    E::close_graceful, E::close_abortive, E::close_linger_nonblocking})
            EXPECT_EQ(m.apply(e).error, WSAENOTSOCK) << to_string(e) << " phase " << phase;
        if (phase == 0) {
            ASSERT_EQ(m.apply(E::io_done).actions, A::release_socket); // now closed
        }
    }
}

TEST(HalfCloseDatagramSpec, CompletionsBeforeCloseOnlyCount) {
    Udp m;
    run(m, {E::begin_send, E::begin_recv});
    for (E e : {E::send_done, E::io_done}) {
        const HalfCloseResult r = m.apply(e);
        EXPECT_EQ(r.error, 0);
        EXPECT_EQ(r.actions, A::none) << to_string(e) << ": no FIN, no FD_CLOSE, no release";
    }
    EXPECT_EQ(m.load(), HalfCloseState::datagram_socket());
    EXPECT_EQ(m.apply(E::send_done).error, WSAEINVAL);
    EXPECT_EQ(m.apply(E::io_done).error, WSAEINVAL);
}

// ---- the fast path
// ---------------------------------------------------------------------------------
TEST(HalfCloseDatagramSpec, TheFastPathCountsDatagramSendsAndReceives) {
    std::uint64_t b = HalfCloseState::datagram_socket().bits();
    std::uint64_t after = 0;
    for (E e : {E::begin_send, E::begin_recv, E::send_done, E::io_done}) {
        ASSERT_TRUE(half_close_fast::step(b, e, after)) << to_string(e);
        EXPECT_EQ(HalfCloseState::from_bits(after),
                  half_close_step(*HalfCloseState::from_bits(b), e).after);
        b = after;
    }
    // A send outstanding when the send side was shut completes on the fast path too (D17) ...
    Udp m;
    run(m, {E::begin_send, E::shutdown_send});
    EXPECT_TRUE(half_close_fast::step(m.load().bits(), E::send_done, after));
    EXPECT_TRUE(m.apply_quiet(E::send_done));
    // ... but what a shut direction refuses, and everything while closing, goes the general way.
    run(m, {E::shutdown_receive});
    EXPECT_FALSE(half_close_fast::step(m.load().bits(), E::begin_send, after));
    EXPECT_FALSE(half_close_fast::step(m.load().bits(), E::begin_recv, after));
    Udp c;
    run(c, {E::begin_send, E::close_graceful});
    EXPECT_FALSE(half_close_fast::step(c.load().bits(), E::send_done, after));
    EXPECT_FALSE(c.apply_quiet(E::send_done)) << "the release is an action";
}

// ---- representation and logging -----------------------------------------------------------------
TEST(HalfCloseDatagramSpec, ImpossibleDatagramCombinationsCannotBeStored) {
    const std::uint64_t dgram = HalfCloseState::datagram_socket().bits();
    EXPECT_TRUE(HalfCloseState::from_bits(dgram).has_value());
    // shut send side (send=fin_sent) with a send still outstanding, and a shut receive side: fine
    EXPECT_TRUE(HalfCloseState::from_bits(dgram | 0x3u << 2 | 1u << 4 | std::uint64_t{1} << 16));
    for (std::uint64_t conn : {0x1u, 0x2u, 0x3u}) // listening, connected, connecting
        EXPECT_FALSE(HalfCloseState::from_bits(dgram | conn)) << conn;
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 0x1u << 2));           // draining
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 0x2u << 2));           // fin_issued
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 1u << 5 | 1u << 10));  // peer_fin
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 1u << 10));            // fin_arrived
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 1u << 6));             // reset
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 1u << 7 | 0x2u << 8)); // abortive, closed
    EXPECT_TRUE(HalfCloseState::from_bits(dgram | 0x2u << 8));            // closed
    // closing with nothing outstanding, closed with a send outstanding
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 0x1u << 8));
    EXPECT_FALSE(HalfCloseState::from_bits(dgram | 0x2u << 8 | std::uint64_t{1} << 16));
}

TEST(HalfCloseDatagramSpec, DatagramStatesRenderWithTheDatagramFact) {
    Udp m;
    run(m, {E::begin_send});
    const HalfCloseResult r = m.shutdown(SD_SEND);
    std::array<char, half_close_transition_max> buf{};
    EXPECT_EQ(format_transition(E::shutdown_send, r, buf),
              "datagram send=open recv=open sends=1 -> datagram send=shut recv=open sends=1 "
              "(shutdown_send: none)");
    run(m, {E::begin_recv, E::shutdown_receive});
    const HalfCloseResult c = m.apply(E::close_abortive);
    EXPECT_EQ(format_transition(E::close_abortive, c, buf),
              "datagram send=shut recv=shut sends=1 io=1 -> closing datagram send=shut recv=shut "
              "sends=1 io=1 (close_abortive: abort_pending)");
    EXPECT_EQ(format_transition(E::peer_fin, m.apply(E::peer_fin), buf),
              "closing datagram send=shut recv=shut sends=1 io=1 (peer_fin: WSAEINVAL)");
}

} // namespace
} // namespace riosp::provider
