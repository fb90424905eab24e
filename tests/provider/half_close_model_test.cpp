// Model-based tests of the half-close unit.
//
// 1. Randomized, single-threaded: a reference model written as plain straight-line code (booleans
//    and counters, one branch per rule of docs/half-close.md) runs beside the real HalfClose;
//    random event sequences (valid and invalid, across many socket lifetimes) must give the same
//    error, the same actions and the same facts at every step. The seed is printed on failure
//    and can be set with RIOSP_MODEL_SEED=<number>.
// 2. Multi-threaded: several threads fire application calls and backend facts at one machine;
//    invariants that must hold under every interleaving are checked (FIN at most once and never
//    with sends queued, no send accepted after a completed SD_SEND, exactly one release, closed
//    is terminal, every transition is the pure step of its `before`, and the transitions chain).
#include <riosp/spi.h>

#include "provider/half_close.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace riosp::provider {
namespace {

using A = HalfCloseAction;
using E = HalfCloseEvent;

constexpr int model_steps_per_run = 100'000;

std::uint64_t test_seed() {
    if (const char* env = std::getenv("RIOSP_MODEL_SEED"); env != nullptr && *env != '\0')
        return std::strtoull(env, nullptr, 0);
    return (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

// ---- the reference model ------------------------------------------------------------------------
struct Outcome {
    int error = 0;
    A actions = A::none;
};

struct RefModel {
    enum class Role { fresh, listening, connecting, connected } role = Role::fresh;
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

    static bool is_app_call(E e) {
        switch (e) {
        case E::connect_established:
        case E::connect_failed:
        case E::send_done:
        case E::io_done:
        case E::fin_sent:
        case E::fin_arrived:
        case E::peer_fin:
        case E::peer_reset:
            return false;
        default:
            return true;
        }
    }

    // The FIN goes once SD_SEND was accepted and no send is queued - unless the connection was
    // reset or the socket is being closed (the release takes care of it then).
    A maybe_fin() {
        if (fin_wanted && sends == 0 && !was_reset && !close_called) {
            fin_wanted = false;
            fin_out = true;
            return A::issue_fin;
        }
        return A::none;
    }

    // After close, the socket goes once nothing is outstanding (the FIN operation included).
    A maybe_release() {
        if (close_called && !released && sends == 0 && others == 0 && !fin_out) {
            released = true;
            return A::release_socket;
        }
        return A::none;
    }

    Outcome on(E e) {
        if (is_app_call(e) && close_called)
            return {WSAENOTSOCK};
        switch (e) {
        case E::listen:
            if (role == Role::connected || role == Role::connecting)
                return {WSAEISCONN};
            role = Role::listening;
            return {};
        case E::connect_started:
            if (role == Role::connected)
                return {WSAEISCONN};
            if (role == Role::listening)
                return {WSAEINVAL};
            if (role == Role::connecting)
                return {WSAEALREADY};
            role = Role::connecting;
            return {};
        case E::begin_send:
            if (role != Role::connected)
                return {WSAENOTCONN};
            if (!may_send)
                return {WSAESHUTDOWN};
            if (was_reset)
                return {WSAECONNRESET};
            ++sends;
            return {};
        case E::begin_recv:
            if (role != Role::connected)
                return {WSAENOTCONN};
            if (!may_recv)
                return {WSAESHUTDOWN};
            if (was_reset)
                return {WSAECONNRESET};
            if (eof)
                return {0, A::complete_eof};
            ++others;
            return {};
        case E::begin_io:
            ++others;
            return {};
        case E::send_disconnect_with_data:
            return {WSAENOPROTOOPT};
        case E::shutdown_invalid:
            return {WSAEINVAL};
        case E::send_disconnect:
        case E::shutdown_send:
        case E::shutdown_both:
        case E::recv_disconnect:
        case E::shutdown_receive: {
            if (role != Role::connected || was_reset)
                return {WSAENOTCONN};
            A acts = A::none;
            const bool send_part =
                e == E::send_disconnect || e == E::shutdown_send || e == E::shutdown_both;
            const bool recv_part =
                e == E::recv_disconnect || e == E::shutdown_receive || e == E::shutdown_both;
            if (send_part && may_send) {
                may_send = false;
                fin_wanted = true;
                acts = acts | maybe_fin();
            }
            if (recv_part)
                may_recv = false;
            return {0, acts};
        }
        case E::close_linger_nonblocking:
        case E::close_graceful:
        case E::close_abortive: {
            if (e == E::close_linger_nonblocking && (sends > 0 || fin_out))
                return {WSAEWOULDBLOCK};
            A acts = A::none;
            close_called = true;
            if (sends + others > 0)
                acts = acts | A::abort_pending;
            if (e == E::close_abortive) {
                abortive = true;
                if (role == Role::connected && !was_reset) {
                    was_reset = true;
                    acts = acts | A::send_rst;
                }
            }
            return {0, acts | maybe_release()};
        }
        case E::connect_established:
            if (released)
                return {WSAEINVAL};
            if (close_called)
                return {WSA_OPERATION_ABORTED};
            if (role != Role::connecting)
                return {WSAEINVAL};
            role = Role::connected;
            return {};
        case E::connect_failed:
            if (released || role != Role::connecting)
                return {WSAEINVAL};
            role = Role::fresh;
            return {};
        case E::send_done:
            if (sends == 0)
                return {WSAEINVAL};
            --sends;
            return {0, maybe_fin() | maybe_release()};
        case E::io_done:
            if (others == 0)
                return {WSAEINVAL};
            --others;
            return {0, maybe_release()};
        case E::fin_sent:
            if (!fin_out)
                return {WSAEINVAL};
            fin_out = false;
            fin_done = true;
            return {0, maybe_release()};
        case E::fin_arrived:
        case E::peer_fin:
            if (released || role != Role::connected)
                return {WSAEINVAL};
            if (was_reset || (e == E::fin_arrived ? fin_seen : eof))
                return {};
            fin_seen = true;
            if (e == E::peer_fin)
                eof = true;
            if (!close_called && !fd_close_signalled) {
                fd_close_signalled = true;
                return {0, A::raise_fd_close};
            }
            return {};
        case E::peer_reset:
            if (released || role != Role::connected)
                return {WSAEINVAL};
            if (was_reset)
                return {};
            was_reset = true;
            if (!close_called && !fd_close_signalled) {
                fd_close_signalled = true;
                return {0, A::raise_fd_close};
            }
            return {};
        }
        return {WSAEINVAL};
    }

    // Whether the real state shows the same facts.
    [[nodiscard]] std::string mismatch(HalfCloseState s) const {
        const HalfCloseConn conn = role == Role::connected    ? HalfCloseConn::connected
                                   : role == Role::connecting ? HalfCloseConn::connecting
                                   : role == Role::listening  ? HalfCloseConn::listening
                                                              : HalfCloseConn::unconnected;
        const HalfCloseSend send = may_send   ? HalfCloseSend::open
                                   : fin_out  ? HalfCloseSend::fin_issued
                                   : fin_done ? HalfCloseSend::fin_sent
                                              : HalfCloseSend::draining;
        const HalfCloseLife life = released       ? HalfCloseLife::closed
                                   : close_called ? HalfCloseLife::closing
                                                  : HalfCloseLife::open;
        std::string m;
        if (s.conn() != conn)
            m += " conn";
        if (s.send() != send)
            m += " send";
        if (s.recv_shutdown() == may_recv)
            m += " recv_shutdown";
        if (s.peer_fin() != eof)
            m += " peer_fin";
        if (s.fin_arrived() != fin_seen)
            m += " fin_arrived";
        if (s.reset() != was_reset)
            m += " reset";
        if (s.abortive() != abortive)
            m += " abortive";
        if (s.life() != life)
            m += " life";
        if (s.pending_sends() != static_cast<std::uint32_t>(sends))
            m += " pending_sends";
        if (s.pending_io() != static_cast<std::uint32_t>(others))
            m += " pending_io";
        return m;
    }
};

std::string text(HalfCloseState s) {
    std::array<char, HalfCloseState::describe_max> buf{};
    return std::string{s.describe(buf)};
}

std::string text(A a) {
    std::array<char, 96> buf{};
    return std::string{describe(a, buf)};
}

// Events weighted towards the data path so that lifetimes get long and counters move.
E random_event(std::mt19937_64& rng) {
    static constexpr std::array<std::pair<E, int>, half_close_event_count> weights{{
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
    static const int total = [] {
        int t = 0;
        for (auto [e, w] : weights)
            t += w;
        return t;
    }();
    int pick = std::uniform_int_distribution<int>{0, total - 1}(rng);
    for (auto [e, w] : weights) {
        if (pick < w)
            return e;
        pick -= w;
    }
    return E::begin_send;
}

TEST(HalfCloseModel, RandomSequencesAgreeWithTheReferenceModel) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE("RIOSP_MODEL_SEED=" + std::to_string(seed));
    std::mt19937_64 rng{seed};

    HalfClose real;
    RefModel model;
    std::vector<std::string> history; // this lifetime's transitions, for the failure message
    int lifetimes = 1, fins = 0, releases = 0, transitions = 0;
    std::map<HalfClosePhase, int> phases;

    for (int step = 0; step < model_steps_per_run; ++step) {
        if (model.released) { // a new socket: fresh or accepted
            const bool accepted = (rng() & 1u) != 0;
            real.reinitialize(accepted ? HalfCloseState::connected()
                                       : HalfCloseState::unconnected());
            model = RefModel{};
            if (accepted)
                model.role = RefModel::Role::connected;
            history.clear();
            ++lifetimes;
        }
        const E e = random_event(rng);
        const Outcome want = model.on(e);
        const HalfCloseResult got = real.apply(e);
        std::array<char, half_close_transition_max> line{};
        history.emplace_back(format_transition(e, got, line));
        if (history.size() > 24)
            history.erase(history.begin());
        transitions += got.changed() ? 1 : 0;
        fins += got.has(A::issue_fin) ? 1 : 0;
        releases += got.has(A::release_socket) ? 1 : 0;
        ++phases[got.after.phase()];

        const std::string facts = model.mismatch(got.after);
        if (got.error != want.error || got.actions != want.actions || !facts.empty() ||
            !HalfCloseState::from_bits(got.after.bits())) {
            std::string trail;
            for (const std::string& h : history)
                trail += "\n  " + h;
            FAIL() << "step " << step << ": " << to_string(e) << " want error " << want.error
                   << " actions " << text(want.actions) << ", got error " << got.error
                   << " actions " << text(got.actions) << "; facts differing:" << facts
                   << "\nlast transitions of this socket:" << trail
                   << "\nreplay with RIOSP_MODEL_SEED=" << seed;
        }
        // Structural guarantees, independent of the model.
        if (got.has(A::issue_fin)) {
            ASSERT_EQ(got.after.pending_sends(), 0u) << "FIN with sends queued";
        }
        if (got.has(A::release_socket)) {
            ASSERT_EQ(got.after.life(), HalfCloseLife::closed);
        }
    }
    // The run must have exercised the interesting paths, or it proves little.
    EXPECT_GT(lifetimes, 100);
    EXPECT_GT(fins, 50);
    EXPECT_GT(releases, 100);
    EXPECT_GT(transitions, model_steps_per_run / 8); // ~20% change the state, the rest are refusals
    EXPECT_EQ(phases.size(), 10u) << "every named state visited";
    std::printf("[ model    ] %d steps, %d transitions, %d sockets, %d FINs, %d releases, seed "
                "%llu\n",
                model_steps_per_run, transitions, lifetimes, fins, releases,
                static_cast<unsigned long long>(seed));
}

// ---- multi-threaded ---------------------------------------------------------------------------
struct Record {
    E event;
    HalfCloseResult result;
};

TEST(HalfCloseModel, ConcurrentEventsKeepTheInvariants) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE("RIOSP_MODEL_SEED=" + std::to_string(seed));
    constexpr int rounds = 32;
    constexpr int ops_per_thread = 1000; // the controller's pace
    constexpr int max_worker_ops = 8000; // workers run until close, at most this long
    constexpr int threads = 4;           // 2 senders, 1 receiver/peer, 1 controller
    std::atomic<long> total_events{0};
    long deferred_fins = 0, aborting_closes = 0, refused_sends = 0; // the races were exercised

    for (int round = 0; round < rounds; ++round) {
        HalfClose m{HalfCloseState::connected()};
        std::atomic<bool> sd_send_done{false}; // set after a shutdown(SD_SEND) returned 0
        std::atomic<bool> released{false};     // set after release_socket was returned
        std::atomic<int> fins{0}, releases{0};
        std::array<std::vector<Record>, threads> logs;
        std::array<std::string, threads> errors;

        auto apply = [&](int t, E e) {
            const bool was_released = released.load(std::memory_order_acquire);
            const HalfCloseResult r = m.apply(e);
            logs[t].push_back({e, r});
            if (was_released && (r.error == 0 || r.changed()))
                errors[t] +=
                    std::string{" accepted "} + std::string{to_string(e)} + " after release;";
            if (r.has(A::issue_fin)) {
                if (fins.fetch_add(1) != 0)
                    errors[t] += " second FIN;";
                if (r.after.pending_sends() != 0)
                    errors[t] += " FIN with sends queued;";
            }
            if (r.has(A::release_socket)) {
                if (releases.fetch_add(1) != 0)
                    errors[t] += " second release;";
                released.store(true, std::memory_order_release);
            }
            return r;
        };
        // Completes the FIN when this thread was told to issue it.
        auto follow = [&](int t, const HalfCloseResult& r) {
            if (r.has(A::issue_fin))
                apply(t, E::fin_sent);
        };

        auto sender = [&](int t) {
            std::mt19937_64 rng{seed ^ (std::uint64_t(round) << 8) ^ std::uint64_t(t)};
            int mine = 0;
            // Work until the socket is being closed (bounded), then complete what is left.
            for (int i = 0; i < max_worker_ops && m.load().life() == HalfCloseLife::open; ++i) {
                if (i % 32 == 31)
                    std::this_thread::yield(); // let the controller in (2 vCPUs, 4 threads)
                if (mine == 0 || (mine < 8 && (rng() & 1u))) { // keep a backlog of sends
                    const bool shut_before = sd_send_done.load(std::memory_order_acquire);
                    const HalfCloseResult r = apply(t, E::begin_send);
                    if (r.ok()) {
                        ++mine;
                        if (shut_before)
                            errors[t] += " send accepted after SD_SEND;";
                    }
                } else {
                    --mine;
                    follow(t, apply(t, E::send_done));
                }
            }
            while (mine-- > 0)
                follow(t, apply(t, E::send_done));
        };
        auto receiver = [&](int t) {
            std::mt19937_64 rng{seed ^ (std::uint64_t(round) << 8) ^ std::uint64_t(t)};
            int mine = 0;
            // Work until the socket is being closed (bounded), then complete what is left.
            for (int i = 0; i < max_worker_ops && m.load().life() == HalfCloseLife::open; ++i) {
                if (i % 32 == 31)
                    std::this_thread::yield(); // let the controller in (2 vCPUs, 4 threads)
                const unsigned pick = rng() % 16;
                if (pick < 7) {
                    HalfCloseResult r = apply(t, E::begin_recv);
                    if (!r.ok() || r.has(A::complete_eof)) // receiving is over: other overlapped
                        r = apply(t, E::begin_io);         // operations still come and go
                    if (r.ok() && !r.has(A::complete_eof))
                        ++mine; // an EOF completion is not outstanding
                } else if (pick < 14 && mine > 0) {
                    --mine;
                    apply(t, E::io_done);
                } else if (pick == 14) {
                    apply(t, E::peer_fin);
                } else if (round % 8 == 0) {
                    apply(t, E::peer_reset);
                }
            }
            while (mine-- > 0)
                apply(t, E::io_done);
        };
        auto controller = [&](int t) {
            std::mt19937_64 rng{seed ^ (std::uint64_t(round) << 8) ^ std::uint64_t(t)};
            // One SD_SEND, one SD_RECEIVE and one close at random points of the others' work.
            const int shut_at = static_cast<int>(rng() % (ops_per_thread / 2));
            const int rshut_at = (rng() & 1u) ? static_cast<int>(rng() % ops_per_thread) : -1;
            const int close_at = ops_per_thread / 4 + static_cast<int>(rng() % ops_per_thread);
            const E close = (rng() & 1u) ? E::close_abortive : E::close_graceful;
            // Before SD_SEND and close, wait (bounded) until operations are outstanding, so that
            // the deferred FIN and the aborting close race the other threads' completions.
            auto wait_for_pending = [&](bool sends_only) {
                for (int spin = 0; spin < 200'000; ++spin) {
                    const HalfCloseState now = m.load();
                    if (now.pending_sends() != 0 || (!sends_only && now.pending_io() != 0))
                        return;
                    if (spin % 64 == 63)
                        std::this_thread::yield();
                }
            };
            for (int i = 0; i <= close_at; ++i) {
                if (i % 8 == 7)
                    std::this_thread::yield(); // keep pace with the other threads
                if (i == shut_at) {
                    wait_for_pending(true);
                    const HalfCloseResult r = apply(t, E::shutdown_send);
                    if (r.ok())
                        sd_send_done.store(true, std::memory_order_release);
                    follow(t, r);
                    // Deferred: give the senders' completions the chance to issue the FIN.
                    for (int spin = 0;
                         spin < 200'000 && r.ok() && m.load().send() == HalfCloseSend::draining;
                         ++spin)
                        if (spin % 64 == 63)
                            std::this_thread::yield();
                }
                if (i == rshut_at) {
                    const HalfCloseResult r = apply(t, E::shutdown_receive);
                    (void)r;
                }
                if (i == close_at) {
                    wait_for_pending(false);
                    const HalfCloseResult r = apply(t, close);
                    (void)r;
                }
            }
        };
        // All threads start together, or they would mostly run one after the other.
        std::atomic<int> ready{0};
        auto gated = [&](auto body, int t) {
            return [&, body, t] {
                ready.fetch_add(1);
                while (ready.load() != threads)
                    std::this_thread::yield();
                body(t);
            };
        };

        std::vector<std::thread> pool;
        pool.emplace_back(gated(sender, 0));
        pool.emplace_back(gated(sender, 1));
        pool.emplace_back(gated(receiver, 2));
        pool.emplace_back(gated(controller, 3));
        for (std::thread& th : pool)
            th.join();

        for (int t = 0; t < threads; ++t)
            ASSERT_TRUE(errors[t].empty())
                << "round " << round << " thread " << t << ":" << errors[t];
        const HalfCloseState last = m.load();
        ASSERT_EQ(last.life(), HalfCloseLife::closed) << text(last);
        ASSERT_EQ(releases.load(), 1) << "round " << round;

        // Linearizability evidence: every transition is the pure step of its `before`, and the
        // transitions chain from the initial state to the final one (Euler-path degree balance).
        std::map<std::uint64_t, long> balance; // out - in
        for (const auto& log : logs) {
            total_events += static_cast<long>(log.size());
            for (const Record& rec : log) {
                deferred_fins += rec.event == E::send_done && rec.result.has(A::issue_fin);
                aborting_closes += rec.result.has(A::abort_pending);
                refused_sends += rec.event == E::begin_send && rec.result.error == WSAESHUTDOWN;
                const HalfCloseResult pure = half_close_step(rec.result.before, rec.event);
                ASSERT_EQ(pure.after, rec.result.after) << to_string(rec.event);
                ASSERT_EQ(pure.error, rec.result.error) << to_string(rec.event);
                ASSERT_EQ(pure.actions, rec.result.actions) << to_string(rec.event);
                if (rec.result.changed()) {
                    ++balance[rec.result.before.bits()];
                    --balance[rec.result.after.bits()];
                }
            }
        }
        ++balance[last.bits()];
        --balance[HalfCloseState::connected().bits()];
        for (auto [bits, b] : balance)
            ASSERT_EQ(b, 0) << "transitions do not chain at "
                            << text(*HalfCloseState::from_bits(bits)) << " (round " << round << ")";
    }
    std::printf(
        "[ model    ] %d threads x %d rounds, %ld events (%ld FINs deferred to the last "
        "send, %ld closes aborting operations, %ld sends refused after SD_SEND), seed %llu\n",
        threads, rounds, total_events.load(), deferred_fins, aborting_closes, refused_sends,
        static_cast<unsigned long long>(seed));
    EXPECT_GT(deferred_fins, 0);
    EXPECT_GT(aborting_closes, 0);
    EXPECT_GT(refused_sends, 0);
}

} // namespace
} // namespace riosp::provider
