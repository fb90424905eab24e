// One test per rule of docs/half-close.md that applies to the half-close unit, named after the
// behaviour it proves.
#include "half_close_spec.h"

#include <array>
#include <string>

namespace riosp::provider {
namespace {

using namespace spec;

HalfCloseState connected_state() {
    return HalfCloseState::connected();
}

// ---- WSAENOTCONN -----------------------------------------------------------------------------
TEST(HalfCloseSpec, SendOnUnconnectedSocketFailsWithNotConn) {
    HalfClose m;
    EXPECT_EQ(m.apply(E::begin_send).error, WSAENOTCONN);
}

TEST(HalfCloseSpec, RecvOnUnconnectedSocketFailsWithNotConn) {
    HalfClose m;
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAENOTCONN);
}

TEST(HalfCloseSpec, SendDisconnectOnUnconnectedSocketFailsWithNotConn) {
    HalfClose m;
    const HalfCloseResult r = m.send_disconnect(false);
    EXPECT_EQ(r.error, WSAENOTCONN);
    EXPECT_FALSE(r.changed());
}

TEST(HalfCloseSpec, RecvDisconnectOnUnconnectedSocketFailsWithNotConn) {
    HalfClose m;
    EXPECT_EQ(m.apply(E::recv_disconnect).error, WSAENOTCONN);
}

TEST(HalfCloseSpec, ShutdownOnUnconnectedOrListeningSocketFailsWithNotConn) {
    HalfClose m;
    for (int how : {SD_RECEIVE, SD_SEND, SD_BOTH})
        EXPECT_EQ(m.shutdown(how).error, WSAENOTCONN) << how;
    run(m, {E::listen});
    for (int how : {SD_RECEIVE, SD_SEND, SD_BOTH})
        EXPECT_EQ(m.shutdown(how).error, WSAENOTCONN) << how;
    EXPECT_EQ(m.apply(E::begin_send).error, WSAENOTCONN);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAENOTCONN);
}

// ---- WSAENOPROTOOPT --------------------------------------------------------------------------
TEST(HalfCloseSpec, SendDisconnectWithOutboundDataFailsWithNoProtoOptAndChangesNothing) {
    HalfClose m{connected_state()};
    const HalfCloseResult r = m.send_disconnect(true);
    EXPECT_EQ(r.error, WSAENOPROTOOPT);
    EXPECT_EQ(r.actions, A::none);
    EXPECT_FALSE(r.changed());
    EXPECT_EQ(m.apply(E::begin_send).error, 0) << "sending is still enabled";
}

TEST(HalfCloseSpec, OutboundDataIsCheckedBeforeTheConnection) {
    HalfClose m; // unconnected: the parameter error wins (decision D1)
    EXPECT_EQ(m.send_disconnect(true).error, WSAENOPROTOOPT);
}

// ---- WSAESHUTDOWN ----------------------------------------------------------------------------
TEST(HalfCloseSpec, SendAfterSendDisconnectFailsWithShutdown) {
    HalfClose m{connected_state()};
    ASSERT_EQ(m.send_disconnect(false).error, 0);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAESHUTDOWN);
}

TEST(HalfCloseSpec, SendAfterShutdownSendFailsWithShutdown) {
    HalfClose m{connected_state()};
    ASSERT_EQ(m.shutdown(SD_SEND).error, 0);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::begin_recv).error, 0) << "the receive side stays open";
}

TEST(HalfCloseSpec, RecvAfterRecvDisconnectFailsWithShutdown) {
    HalfClose m{connected_state()};
    ASSERT_EQ(m.apply(E::recv_disconnect).error, 0);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
}

TEST(HalfCloseSpec, RecvAfterShutdownReceiveFailsWithShutdown) {
    HalfClose m{connected_state()};
    ASSERT_EQ(m.shutdown(SD_RECEIVE).error, 0);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::begin_send).error, 0) << "the send side stays open";
}

TEST(HalfCloseSpec, ShutdownBothRefusesSendsAndReceivesAndIssuesTheFin) {
    HalfClose m{connected_state()};
    const HalfCloseResult r = m.shutdown(SD_BOTH);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::issue_fin);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
}

TEST(HalfCloseSpec, LocalShutdownWinsOverResetForThatDirection) {
    HalfClose m{connected_state()};
    run(m, {E::shutdown_receive, E::peer_reset});
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAESHUTDOWN);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAECONNRESET);
}

// ---- SD_RECEIVE has no effect on the lower layers ----------------------------------------------
TEST(HalfCloseSpec, RecvDisconnectHasNoEffectOnThePeer) {
    HalfClose m{connected_state()};
    run(m, {E::begin_recv});
    const HalfCloseResult r = m.apply(E::recv_disconnect);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::none) << "no RST, no FIN, pending receive not aborted";
    // The peer keeps sending and finishes: still no reset, FD_CLOSE still raised.
    EXPECT_EQ(m.apply(E::io_done).actions, A::none);
    EXPECT_EQ(m.apply(E::peer_fin).actions, A::raise_fd_close);
    EXPECT_FALSE(m.load().reset());
    EXPECT_EQ(m.apply(E::begin_send).error, 0);
}

// ---- peer FIN and reset
// --------------------------------------------------------------------------
TEST(HalfCloseSpec, RecvAfterPeerFinCompletesWithZeroBytes) {
    HalfClose m{connected_state()};
    EXPECT_EQ(m.apply(E::peer_fin).actions, A::raise_fd_close);
    for (int i = 0; i < 3; ++i) {
        const HalfCloseResult r = m.apply(E::begin_recv);
        EXPECT_EQ(r.error, 0);
        EXPECT_EQ(r.actions, A::complete_eof);
        EXPECT_EQ(r.after.pending_io(), 0u) << "an EOF completion is not outstanding I/O";
    }
}

TEST(HalfCloseSpec, SendsStayAllowedAfterPeerFin) {
    HalfClose m{connected_state()};
    run(m, {E::peer_fin, E::begin_send, E::send_done});
    EXPECT_EQ(m.load().phase(), HalfClosePhase::peer_shutdown);
}

TEST(HalfCloseSpec, FdCloseIsRaisedOnceOnPeerFinOrReset) {
    HalfClose a{connected_state()};
    EXPECT_EQ(a.apply(E::peer_fin).actions, A::raise_fd_close);
    EXPECT_EQ(a.apply(E::peer_fin).actions, A::none);
    EXPECT_EQ(a.apply(E::peer_reset).actions, A::none);
    HalfClose b{connected_state()};
    EXPECT_EQ(b.apply(E::peer_reset).actions, A::raise_fd_close);
    EXPECT_EQ(b.apply(E::peer_reset).actions, A::none);
}

TEST(HalfCloseSpec, RecvAfterPeerResetFailsWithConnReset) {
    HalfClose m{connected_state()};
    run(m, {E::peer_fin, E::peer_reset}); // a reset after the FIN wins too
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAECONNRESET);
}

TEST(HalfCloseSpec, SendAfterPeerResetFailsWithConnReset) {
    HalfClose m{connected_state()};
    run(m, {E::peer_reset});
    EXPECT_EQ(m.apply(E::begin_send).error, WSAECONNRESET);
}

TEST(HalfCloseSpec, ShutdownAfterResetFailsWithNotConn) {
    HalfClose m{connected_state()};
    run(m, {E::peer_reset});
    EXPECT_EQ(m.shutdown(SD_SEND).error, WSAENOTCONN);
    EXPECT_EQ(m.send_disconnect(false).error, WSAENOTCONN);
    EXPECT_EQ(m.apply(E::recv_disconnect).error, WSAENOTCONN);
}

// ---- FIN ordering ------------------------------------------------------------------------------
TEST(HalfCloseSpec, FinIsIssuedOnlyAfterQueuedSendsDrain) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send, E::begin_send, E::begin_send});
    const HalfCloseResult shut = m.send_disconnect(false);
    EXPECT_EQ(shut.error, 0);
    EXPECT_EQ(shut.actions, A::none) << "three sends queued: the FIN waits";
    EXPECT_EQ(m.apply(E::send_done).actions, A::none);
    EXPECT_EQ(m.apply(E::send_done).actions, A::none);
    const HalfCloseResult last = m.apply(E::send_done);
    EXPECT_EQ(last.actions, A::issue_fin);
    EXPECT_EQ(last.after.pending_sends(), 0u);
    EXPECT_EQ(last.after.send(), HalfCloseSend::fin_issued);
    run(m, {E::fin_sent});
    EXPECT_EQ(m.load().send(), HalfCloseSend::fin_sent);
}

TEST(HalfCloseSpec, FinIsIssuedAtOnceWhenNoSendIsQueued) {
    HalfClose m{connected_state()};
    EXPECT_EQ(m.shutdown(SD_SEND).actions, A::issue_fin);
}

TEST(HalfCloseSpec, RepeatedShutdownSucceedsWithoutASecondFin) {
    HalfClose m{connected_state()};
    EXPECT_EQ(m.shutdown(SD_SEND).actions, A::issue_fin);
    auto expect_quiet_repeats = [&] {
        for (const HalfCloseResult& r :
             {m.shutdown(SD_SEND), m.send_disconnect(false), m.shutdown(SD_BOTH),
              m.shutdown(SD_RECEIVE), m.apply(E::recv_disconnect)}) {
            EXPECT_EQ(r.error, 0);
            EXPECT_EQ(r.actions, A::none);
        }
    };
    expect_quiet_repeats(); // FIN in flight
    run(m, {E::fin_sent});
    expect_quiet_repeats(); // FIN sent
    EXPECT_EQ(m.apply(E::fin_sent).error, WSAEINVAL) << "one FIN, one completion";
}

TEST(HalfCloseSpec, NoFinAfterAReset) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send, E::send_disconnect, E::peer_reset});
    const HalfCloseResult r = m.apply(E::send_done);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.actions, A::none);
}

TEST(HalfCloseSpec, DisconnectFreesNothingAndNeverWaits) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send, E::begin_recv});
    for (const HalfCloseResult& r : {m.send_disconnect(false), m.apply(E::recv_disconnect)}) {
        EXPECT_EQ(r.error, 0);
        EXPECT_FALSE(r.has(A::release_socket));
        EXPECT_FALSE(r.has(A::abort_pending));
        EXPECT_EQ(r.after.life(), HalfCloseLife::open);
    }
}

// ---- close -------------------------------------------------------------------------------------
TEST(HalfCloseSpec, CloseWithPendingOperationsAbortsThemAndReleasesAfterTheLast) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send, E::begin_recv, E::begin_recv});
    const HalfCloseResult c = m.close(false);
    EXPECT_EQ(c.error, 0);
    EXPECT_EQ(c.actions, A::abort_pending) << "each completes with WSA_OPERATION_ABORTED";
    EXPECT_EQ(c.after.phase(), HalfClosePhase::closing);
    EXPECT_EQ(m.apply(E::io_done).actions, A::none);
    EXPECT_EQ(m.apply(E::send_done).actions, A::none) << "no FIN while closing";
    const HalfCloseResult last = m.apply(E::io_done);
    EXPECT_EQ(last.actions, A::release_socket);
    EXPECT_EQ(last.after.phase(), HalfClosePhase::closed);
}

TEST(HalfCloseSpec, CloseWithNothingPendingReleasesAtOnce) {
    HalfClose m{connected_state()};
    const HalfCloseResult r = m.close(false);
    EXPECT_EQ(r.actions, A::release_socket);
    EXPECT_EQ(r.after.phase(), HalfClosePhase::closed);
}

TEST(HalfCloseSpec, CloseWaitsForTheFinInFlight) {
    HalfClose m{connected_state()};
    ASSERT_EQ(m.shutdown(SD_SEND).actions, A::issue_fin);
    EXPECT_EQ(m.close(false).actions, A::none);
    EXPECT_EQ(m.apply(E::fin_sent).actions, A::release_socket);
}

TEST(HalfCloseSpec, AbortiveCloseResetsTheConnection) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send});
    const HalfCloseResult r = m.close(true);
    EXPECT_EQ(r.actions, A::abort_pending | A::send_rst);
    EXPECT_TRUE(r.after.abortive());
    EXPECT_TRUE(r.after.reset());
    EXPECT_EQ(m.apply(E::send_done).actions, A::release_socket);
}

TEST(HalfCloseSpec, GracefulCloseNeverResets) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send, E::begin_recv});
    EXPECT_FALSE(m.close(false).has(A::send_rst));
    EXPECT_FALSE(m.apply(E::send_done).has(A::send_rst));
}

TEST(HalfCloseSpec, AbortiveCloseOfADeadOrUnconnectedSocketSendsNoRst) {
    HalfClose reset{connected_state()};
    run(reset, {E::peer_reset});
    EXPECT_EQ(reset.close(true).actions, A::release_socket);
    HalfClose fresh;
    EXPECT_EQ(fresh.close(true).actions, A::release_socket);
}

TEST(HalfCloseSpec, NonBlockingLingerCloseWithQueuedSendsWouldBlockAndKeepsTheHandle) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send});
    const HalfCloseResult r = m.apply(E::close_linger_nonblocking);
    EXPECT_EQ(r.error, WSAEWOULDBLOCK);
    EXPECT_FALSE(r.changed());
    EXPECT_EQ(m.apply(E::begin_send).error, 0) << "the handle stays valid";
    run(m, {E::send_done, E::send_done});
    EXPECT_EQ(m.apply(E::close_linger_nonblocking).actions, A::release_socket);
}

TEST(HalfCloseSpec, EveryCallAfterCloseFailsWithNotSock) {
    HalfClose m{connected_state()};
    run(m, {E::begin_recv, E::close_graceful}); // closing
    for (int phase = 0; phase < 2; ++phase) {
        for (E e : {E::listen, E::begin_send, E::begin_recv, E::begin_io, E::send_disconnect,
                    E::send_disconnect_with_data, E::recv_disconnect, E::shutdown_receive,
                    E::shutdown_send, E::shutdown_both, E::shutdown_invalid, E::close_graceful,
                    E::close_abortive, E::close_linger_nonblocking})
            EXPECT_EQ(m.apply(e).error, WSAENOTSOCK) << to_string(e) << " phase " << phase;
        if (phase == 0) {
            ASSERT_EQ(m.apply(E::io_done).actions, A::release_socket); // now closed
        }
    }
}

TEST(HalfCloseSpec, NoFdCloseAfterClose) {
    HalfClose m{connected_state()};
    run(m, {E::begin_recv, E::close_graceful});
    EXPECT_EQ(m.apply(E::peer_fin).actions, A::none);
    EXPECT_EQ(m.apply(E::peer_reset).actions, A::none);
}

// D11: FD_CLOSE when riosp sees the FIN, bytes before it still buffered or not; the end of the
// stream for the application, later, raises nothing more, nor does a reset after it.
TEST(HalfCloseSpec, FdCloseComesWhenTheFinArrivesAndNeverAgain) {
    HalfClose m{connected_state()};
    EXPECT_EQ(m.apply(E::fin_arrived).actions, A::raise_fd_close);
    EXPECT_FALSE(m.load().peer_fin()) << "bytes before the FIN are still to be read";
    EXPECT_EQ(m.apply(E::begin_recv).actions, A::none); // served from what is buffered
    run(m, {E::io_done});
    EXPECT_EQ(m.apply(E::peer_fin).actions, A::none);
    EXPECT_EQ(m.apply(E::begin_recv).actions, A::complete_eof);
    EXPECT_EQ(m.apply(E::peer_reset).actions, A::none) << "FD_CLOSE was reported already";
    HalfClose direct{connected_state()}; // nothing buffered: the FIN and the end at once
    EXPECT_EQ(direct.apply(E::peer_fin).actions, A::raise_fd_close);
    EXPECT_TRUE(direct.load().fin_arrived());
}

TEST(HalfCloseSpec, ClosedIsTerminal) {
    HalfClose m{connected_state()};
    ASSERT_EQ(m.close(false).actions, A::release_socket);
    const HalfCloseState closed = m.load();
    for (std::size_t i = 0; i < half_close_event_count; ++i) {
        const HalfCloseResult r = m.apply(static_cast<E>(i));
        EXPECT_NE(r.error, 0) << to_string(static_cast<E>(i));
        EXPECT_EQ(r.after, closed);
    }
}

TEST(HalfCloseSpec, ConnectCompletingAfterCloseIsAborted) {
    HalfClose m;
    run(m, {E::connect_started, E::begin_io});
    ASSERT_EQ(m.close(false).actions, A::abort_pending);
    EXPECT_EQ(m.apply(E::connect_established).error, WSA_OPERATION_ABORTED);
    EXPECT_EQ(m.apply(E::io_done).actions, A::release_socket);
}

// ---- parameters, listen, caller bugs
// -------------------------------------------------------------
TEST(HalfCloseSpec, InvalidShutdownHowFailsWithInval) {
    HalfClose m; // parameter error before WSAENOTCONN (D1)
    EXPECT_EQ(m.shutdown(3).error, WSAEINVAL);
    EXPECT_EQ(m.shutdown(-1).error, WSAEINVAL);
    HalfClose c{connected_state()};
    EXPECT_EQ(c.shutdown(7).error, WSAEINVAL);
    EXPECT_EQ(c.apply(E::begin_send).error, 0);
}

TEST(HalfCloseSpec, ListenTwiceSucceedsAndListenOnAConnectionFailsWithIsConn) {
    HalfClose m;
    run(m, {E::listen, E::listen});
    EXPECT_EQ(m.load().phase(), HalfClosePhase::listening);
    HalfClose c{connected_state()};
    EXPECT_EQ(c.apply(E::listen).error, WSAEISCONN);
}

TEST(HalfCloseSpec, BackendFactsThatCannotHappenAreRejected) {
    HalfClose m;
    for (E e : {E::send_done, E::io_done, E::fin_sent, E::peer_fin, E::peer_reset}) {
        const HalfCloseResult r = m.apply(e);
        EXPECT_EQ(r.error, WSAEINVAL) << to_string(e);
        EXPECT_FALSE(r.changed());
    }
    EXPECT_EQ(m.apply(E::connect_established).error, WSAEINVAL) << "no attempt was started";
    EXPECT_EQ(m.apply(E::connect_failed).error, WSAEINVAL) << "no attempt was started";
    run(m, {E::connect_started, E::connect_established});
    EXPECT_EQ(m.apply(E::connect_established).error, WSAEINVAL);
}

// D15: the connection attempt is a state of the machine, not of the provider around it.
TEST(HalfCloseSpec, AConnectAttemptIsAStateWithItsOwnAnswers) {
    HalfClose m;
    run(m, {E::connect_started});
    EXPECT_EQ(m.load().phase(), HalfClosePhase::connecting);
    EXPECT_EQ(m.apply(E::connect_started).error, WSAEALREADY);
    EXPECT_EQ(m.apply(E::listen).error, WSAEISCONN);
    EXPECT_EQ(m.apply(E::begin_send).error, WSAENOTCONN);
    EXPECT_EQ(m.apply(E::begin_recv).error, WSAENOTCONN);
    EXPECT_EQ(m.shutdown(SD_SEND).error, WSAENOTCONN);
    run(m, {E::connect_failed}); // refused: a fresh socket again, which may try anew
    EXPECT_EQ(m.load().phase(), HalfClosePhase::unconnected);
    run(m, {E::connect_started, E::connect_established});
    EXPECT_EQ(m.load().phase(), HalfClosePhase::established);
    EXPECT_EQ(m.apply(E::connect_started).error, WSAEISCONN);
    HalfClose l;
    run(l, {E::listen});
    EXPECT_EQ(l.apply(E::connect_started).error, WSAEINVAL);
}

// ---- representation and logging -----------------------------------------------------------------
TEST(HalfCloseSpec, ImpossibleCombinationsCannotBeStored) {
    EXPECT_TRUE(HalfCloseState::from_bits(HalfCloseState::connected().bits()).has_value());
    // unconnected with a FIN sent (send=fin_sent is bits 2-3 = 3)
    EXPECT_FALSE(HalfCloseState::from_bits(0x3u << 2).has_value());
    // connected, fin_issued, one send still queued
    EXPECT_FALSE(HalfCloseState::from_bits(0x2u | 0x2u << 2 | std::uint64_t{1} << 16).has_value());
    // closed with an operation outstanding
    EXPECT_FALSE(HalfCloseState::from_bits(0x2u << 8 | std::uint64_t{1} << 40).has_value());
    // abortive while open; life value 3; a reserved bit; a connect attempt with a send queued
    EXPECT_FALSE(HalfCloseState::from_bits(0x2u | 1u << 7).has_value());
    EXPECT_FALSE(HalfCloseState::from_bits(0x3u << 8).has_value());
    EXPECT_FALSE(HalfCloseState::from_bits(1u << 12).has_value());
    EXPECT_FALSE(HalfCloseState::from_bits(0x3u | std::uint64_t{1} << 16).has_value());
    EXPECT_TRUE(HalfCloseState::from_bits(0x3u).has_value()); // connecting (D15)
}

TEST(HalfCloseSpec, TransitionsRenderAsFromTo) {
    HalfClose m{connected_state()};
    run(m, {E::begin_send});
    const HalfCloseResult r = m.shutdown(SD_SEND);
    std::array<char, half_close_transition_max> buf{};
    EXPECT_EQ(format_transition(E::shutdown_send, r, buf),
              "connected send=open recv=open sends=1 -> connected send=draining recv=open sends=1 "
              "(shutdown_send: none)");
    const HalfCloseResult d = m.apply(E::send_done);
    EXPECT_EQ(format_transition(E::send_done, d, buf),
              "connected send=draining recv=open sends=1 -> connected send=fin_issued recv=open "
              "(send_done: issue_fin)");
    const HalfCloseResult f = m.apply(E::begin_send);
    EXPECT_EQ(format_transition(E::begin_send, f, buf),
              "connected send=fin_issued recv=open (begin_send: WSAESHUTDOWN)");
    std::array<char, 8> tiny{};
    EXPECT_EQ(format_transition(E::begin_send, f, tiny), "connecte") << "truncates, no overflow";
}

} // namespace
} // namespace riosp::provider
