// What the model-based tests of the half-close unit share (half_close_model_test.cpp for stream
// sockets, half_close_datagram_model_test.cpp for datagram ones):
//
// - RefModel, a reference model written as plain straight-line code (booleans and counters, one
//   branch per rule of docs/half-close.md), independent of the packed word;
// - run_against_model(), which runs random event sequences through it and the real HalfClose side
//   by side and fails at the first step where they differ;
// - ConcurrentRun, which lets several threads fire events at one machine, checks what must hold
//   under every interleaving as it happens, and afterwards that the transitions are linearizable.
//
// Seeds come from RIOSP_MODEL_SEED=<number> when set (to replay a failure), else at random.
#pragma once

#include <riosp/spi.h>

#include "provider/half_close.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace riosp::provider::half_close_model {

using A = HalfCloseAction;
using E = HalfCloseEvent;

[[nodiscard]] std::uint64_t test_seed();
[[nodiscard]] std::string text(HalfCloseState s);
[[nodiscard]] std::string text(A a);

struct Outcome {
    int error = 0;
    A actions = A::none;
};

struct RefModel {
    enum class Role { fresh, listening, connecting, connected } role = Role::fresh;
    bool datagram = false;   // a UDP socket: no connection, FIN, reset or linger (D16..D19)
    bool may_send = true;    // no SD_SEND yet
    bool fin_wanted = false; // SD_SEND accepted, FIN not handed out yet
    bool fin_out = false;    // FIN handed out, its operation not complete
    bool fin_done = false;   // FIN operation complete
    bool may_recv = true;    // no SD_RECEIVE yet
    bool fin_seen = false;   // the peer's FIN seen by riosp (bytes may still be buffered)
    bool eof = false;        // the stream ended for the application
    bool was_reset = false;
    bool close_called = false;
    bool abortive = false;
    bool released = false;
    bool fd_close_signalled = false;
    int sends = 0;  // sends outstanding
    int others = 0; // receives and other operations outstanding

    // The model of a socket starting in one of the machine's initial states.
    [[nodiscard]] static RefModel of(HalfCloseState initial);

    [[nodiscard]] Outcome on(E e);
    // The facts of `s` that differ from the model's, by name ("" when none).
    [[nodiscard]] std::string mismatch(HalfCloseState s) const;

private:
    [[nodiscard]] A maybe_fin();
    [[nodiscard]] A maybe_release();
};

// Event weights for random_event(), one entry per event.
using EventWeights = std::span<const std::pair<E, int>>;
[[nodiscard]] E random_event(std::mt19937_64& rng, EventWeights weights);

struct RunStats {
    int lifetimes = 0, transitions = 0, fins = 0, releases = 0;
    A actions_seen = A::none; // every action some step returned
    std::map<HalfClosePhase, int> phases;
};

// `steps` random events (drawn with `weights`) applied to HalfClose and RefModel side by side;
// after each release a new socket starts in new_socket(rng). Fails the calling test, with the
// socket's last transitions and the seed, at the first step whose error, actions or facts differ
// (call it through ASSERT_NO_FATAL_FAILURE).
void run_against_model(std::uint64_t seed, int steps, EventWeights weights,
                       const std::function<HalfCloseState(std::mt19937_64&)>& new_socket,
                       RunStats& stats);

struct Record {
    E event;
    HalfCloseResult result;
};

// One socket's life under four threads applying events to its machine at once: two senders, a
// receiver that also plays the peer, and a controller (the application's SD_SEND, SD_RECEIVE and
// close at random points of the others' work).
class ConcurrentRun {
public:
    static constexpr int threads = 4;
    static constexpr int ops_per_thread = 1000; // the controller's pace
    static constexpr int max_worker_ops = 8000; // workers run until close, at most this long

    explicit ConcurrentRun(HalfCloseState initial);

    // Runs the four threads, all started together (or they would mostly run one after the
    // other), and joins them. Thread t draws from seed ^ t; the controller's close is one of
    // `closes`; the peer resets the connection only with `peer_resets`.
    void run(std::uint64_t seed, std::span<const E> closes, bool peer_resets);
    // After run(): nothing was recorded as broken, the socket ended closed, released exactly once,
    // and the transitions are linearizable (each the pure step of its `before`, and chained from
    // the initial state to the final one).
    [[nodiscard]] testing::AssertionResult verify() const;

    [[nodiscard]] const std::vector<std::vector<Record>>& logs() const noexcept { return logs_; }

private:
    // Applies `e` for thread `t`, logs the result and checks at once: at most one FIN, never with
    // sends queued; at most one release; nothing accepted after the release.
    HalfCloseResult apply(int t, E e);
    // Completes the FIN when thread `t` was told to issue it.
    void follow(int t, const HalfCloseResult& r);
    // Records a broken expectation of thread `t`.
    // (Appended piece by piece: GCC 12's -Wrestrict misreads `" " + std::string` at -O3.)
    void fail(int t, std::string_view what) { errors_[t].append(" ").append(what).append(";"); }
    void sender(int t, std::mt19937_64& rng);
    void receiver(int t, std::mt19937_64& rng, bool peer_resets);
    void controller(int t, std::mt19937_64& rng, std::span<const E> closes);

    HalfClose machine_;
    HalfCloseState initial_;
    std::atomic<bool> sd_send_done_{false}; // set after a shutdown(SD_SEND) returned 0
    std::atomic<bool> released_{false};
    std::atomic<int> fins_{0}, releases_{0};
    std::vector<std::vector<Record>> logs_;
    std::vector<std::string> errors_;
};

} // namespace riosp::provider::half_close_model
