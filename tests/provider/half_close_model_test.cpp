// Model-based tests of the half-close unit, stream sockets (the reference model and the drivers
// are in half_close_model.h; datagram sockets in half_close_datagram_model_test.cpp).
//
// 1. Randomized, single-threaded: the reference model runs beside the real HalfClose; random
//    event sequences (valid and invalid, across many socket lifetimes) must give the same error,
//    the same actions and the same facts at every step. The seed is printed on failure and can be
//    set with RIOSP_MODEL_SEED=<number>.
// 2. Multi-threaded: several threads fire application calls and backend facts at one machine;
//    invariants that must hold under every interleaving are checked (FIN at most once and never
//    with sends queued, no send accepted after a completed SD_SEND, exactly one release, closed
//    is terminal, every transition is the pure step of its `before`, and the transitions chain).
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

// Events weighted towards the data path so that lifetimes get long and counters move.
constexpr std::array<std::pair<E, int>, half_close_event_count> stream_weights{{
    {E::listen, 2},
    {E::begin_send, 28},
    {E::begin_recv, 16},
    {E::begin_io, 4},
    {E::connect_started, 6},
    {E::send_disconnect, 4},
    {E::send_disconnect_with_data, 2},
    {E::recv_disconnect, 4},
    {E::shutdown_receive, 2},
    {E::shutdown_send, 4},
    {E::shutdown_both, 2},
    {E::shutdown_invalid, 2},
    {E::close_graceful, 1},
    {E::close_abortive, 1},
    {E::close_linger_nonblocking, 1},
    {E::connect_established, 6},
    {E::connect_failed, 2},
    {E::send_done, 24},
    {E::io_done, 18},
    {E::fin_sent, 8},
    {E::fin_arrived, 4},
    {E::peer_fin, 6},
    {E::peer_reset, 2},
}};

TEST(HalfCloseModel, RandomSequencesAgreeWithTheReferenceModel) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE("RIOSP_MODEL_SEED=" + std::to_string(seed));
    RunStats stats;
    ASSERT_NO_FATAL_FAILURE(run_against_model(
        seed, model_steps_per_run, stream_weights,
        [](std::mt19937_64& rng) { // a new socket: fresh or accepted
            return (rng() & 1u) != 0 ? HalfCloseState::connected() : HalfCloseState::unconnected();
        },
        stats));
    // The run must have exercised the interesting paths, or it proves little.
    EXPECT_GT(stats.lifetimes, 100);
    EXPECT_GT(stats.fins, 50);
    EXPECT_GT(stats.releases, 100);
    EXPECT_GT(stats.transitions, model_steps_per_run / 8); // ~20% change the state, the rest
                                                           // are refusals
    EXPECT_EQ(stats.phases.size(), 10u) << "every named state visited";
    std::printf("[ model    ] %d steps, %d transitions, %d sockets, %d FINs, %d releases, seed "
                "%llu\n",
                model_steps_per_run, stats.transitions, stats.lifetimes, stats.fins, stats.releases,
                static_cast<unsigned long long>(seed));
}

// ---- multi-threaded ---------------------------------------------------------------------------
TEST(HalfCloseModel, ConcurrentEventsKeepTheInvariants) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE("RIOSP_MODEL_SEED=" + std::to_string(seed));
    constexpr int rounds = 32;
    long total_events = 0;
    long deferred_fins = 0, aborting_closes = 0, refused_sends = 0; // the races were exercised
    constexpr std::array closes{E::close_abortive, E::close_graceful};

    for (int round = 0; round < rounds; ++round) {
        ConcurrentRun run{HalfCloseState::connected()};
        run.run(seed ^ (std::uint64_t(round) << 8), closes, round % 8 == 0);
        ASSERT_TRUE(run.verify()) << "round " << round;

        for (const auto& log : run.logs()) {
            total_events += static_cast<long>(log.size());
            for (const Record& rec : log) {
                deferred_fins += rec.event == E::send_done && rec.result.has(A::issue_fin);
                aborting_closes += rec.result.has(A::abort_pending);
                refused_sends += rec.event == E::begin_send && rec.result.error == WSAESHUTDOWN;
            }
        }
    }
    std::printf(
        "[ model    ] %d threads x %d rounds, %ld events (%ld FINs deferred to the last "
        "send, %ld closes aborting operations, %ld sends refused after SD_SEND), seed %llu\n",
        ConcurrentRun::threads, rounds, total_events, deferred_fins, aborting_closes, refused_sends,
        static_cast<unsigned long long>(seed));
    EXPECT_GT(deferred_fins, 0);
    EXPECT_GT(aborting_closes, 0);
    EXPECT_GT(refused_sends, 0);
}

} // namespace
} // namespace riosp::provider::half_close_model
