// Model-based tests of the half-close unit, datagram sockets (D16..D19; the reference model and
// the drivers are in half_close_model.h, stream sockets in half_close_model_test.cpp).
//
// 1. Randomized, single-threaded: every event, valid for a datagram socket or not, at random
//    across many datagram socket lifetimes, against the reference model: same error, actions and
//    facts at every step. RIOSP_MODEL_SEED=<number> replays a run.
// 2. Multi-threaded: sends, receives, completions, SD_SEND, SD_RECEIVE, peer facts that cannot
//    happen, and a close of any kind race on one datagram socket; the release comes exactly once,
//    from the close or from whichever completion is the last, and the transitions are
//    linearizable.
#include "half_close_model.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace riosp::provider::half_close_model {
namespace {

constexpr int model_steps_per_run = 100'000;

// Weighted towards the data path so that lifetimes get long and counters move; the facts of a
// connection come too, to be refused.
constexpr std::array<std::pair<E, int>, half_close_event_count> datagram_weights{{
    {E::listen, 2},
    {E::begin_send, 28},
    {E::begin_recv, 16},
    {E::begin_io, 4},
    {E::connect_started, 4},
    {E::send_disconnect, 2},
    {E::send_disconnect_with_data, 2},
    {E::recv_disconnect, 2},
    {E::shutdown_receive, 2},
    {E::shutdown_send, 2},
    {E::shutdown_both, 1},
    {E::shutdown_invalid, 2},
    {E::close_graceful, 1},
    {E::close_abortive, 1},
    {E::close_linger_nonblocking, 1},
    {E::connect_established, 2},
    {E::connect_failed, 2},
    {E::send_done, 24},
    {E::io_done, 18},
    {E::fin_sent, 2},
    {E::fin_arrived, 2},
    {E::peer_fin, 2},
    {E::peer_reset, 2},
}};

TEST(HalfCloseDatagramModel, RandomSequencesAgreeWithTheReferenceModel) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE("RIOSP_MODEL_SEED=" + std::to_string(seed));
    RunStats stats;
    ASSERT_NO_FATAL_FAILURE(run_against_model(
        seed, model_steps_per_run, datagram_weights,
        [](std::mt19937_64&) { return HalfCloseState::datagram_socket(); }, stats));
    // The run must have exercised the interesting paths, or it proves little.
    EXPECT_GT(stats.lifetimes, 100);
    EXPECT_GT(stats.releases, 100);
    EXPECT_GT(stats.transitions, model_steps_per_run / 8);
    // Closes that aborted operations, and releases from a close and from a last completion: the
    // only actions a datagram socket ever asks for (no FIN, RST, end of stream or FD_CLOSE).
    EXPECT_EQ(stats.actions_seen, A::abort_pending | A::release_socket);
    EXPECT_EQ(stats.fins, 0);
    EXPECT_EQ(stats.phases.size(), 3u) << "unconnected, closing and closed (D16)";
    std::printf("[ model    ] datagram: %d steps, %d transitions, %d sockets, %d releases, seed "
                "%llu\n",
                model_steps_per_run, stats.transitions, stats.lifetimes, stats.releases,
                static_cast<unsigned long long>(seed));
}

TEST(HalfCloseDatagramModel, ConcurrentEventsReleaseExactlyOnce) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE("RIOSP_MODEL_SEED=" + std::to_string(seed));
    constexpr int rounds = 32;
    constexpr std::array closes{E::close_graceful, E::close_abortive, E::close_linger_nonblocking};
    long total_events = 0, aborting_closes = 0, completion_releases = 0, refused_sends = 0,
         refused_facts = 0;

    for (int round = 0; round < rounds; ++round) {
        ConcurrentRun run{HalfCloseState::datagram_socket()};
        run.run(seed ^ (std::uint64_t(round) << 8), closes, round % 8 == 0);
        ASSERT_TRUE(run.verify()) << "round " << round;

        for (const auto& log : run.logs()) {
            total_events += static_cast<long>(log.size());
            for (const Record& rec : log) {
                const bool is_close = rec.event == E::close_graceful ||
                                      rec.event == E::close_abortive ||
                                      rec.event == E::close_linger_nonblocking;
                ASSERT_TRUE(!is_close || rec.result.ok())
                    << "a datagram close never fails or would block (D19), round " << round;
                ASSERT_FALSE(rec.result.has(A::issue_fin | A::send_rst | A::complete_eof |
                                            A::raise_fd_close))
                    << to_string(rec.event) << ", round " << round;
                ASSERT_FALSE(rec.result.after.abortive());
                aborting_closes += rec.result.has(A::abort_pending);
                completion_releases += !is_close && rec.result.has(A::release_socket);
                refused_sends += rec.event == E::begin_send && rec.result.error == WSAESHUTDOWN;
                refused_facts += (rec.event == E::peer_fin || rec.event == E::peer_reset) &&
                                 rec.result.error == WSAEINVAL;
            }
        }
    }
    std::printf("[ model    ] datagram: %d threads x %d rounds, %ld events (%ld closes aborting "
                "operations, %ld releases by the last completion, %ld sends refused after "
                "SD_SEND), seed %llu\n",
                ConcurrentRun::threads, rounds, total_events, aborting_closes, completion_releases,
                refused_sends, static_cast<unsigned long long>(seed));
    // The races were exercised: closes came with operations in flight, the release came from a
    // completion racing others, SD_SEND raced the senders, and the peer's facts were refused.
    EXPECT_GT(aborting_closes, 0);
    EXPECT_GT(completion_releases, 0);
    EXPECT_GT(refused_sends, 0);
    EXPECT_GT(refused_facts, 0);
}

} // namespace
} // namespace riosp::provider::half_close_model
