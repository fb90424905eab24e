// The reference model and drivers of the half-close model tests (half_close_model.h).
#include "half_close_model.h"

#include <array>
#include <cstdlib>
#include <thread>

namespace riosp::provider::half_close_model {

std::uint64_t test_seed() {
    if (const char* env = std::getenv("RIOSP_MODEL_SEED"); env != nullptr && *env != '\0')
        return std::strtoull(env, nullptr, 0);
    return (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

std::string text(HalfCloseState s) {
    std::array<char, HalfCloseState::describe_max> buf{};
    return std::string{s.describe(buf)};
}

std::string text(A a) {
    std::array<char, 96> buf{};
    return std::string{describe(a, buf)};
}

// ---- the reference model ------------------------------------------------------------------------
RefModel RefModel::of(HalfCloseState initial) {
    RefModel m;
    if (initial.conn() == HalfCloseConn::connected)
        m.role = Role::connected;
    m.datagram = initial.datagram();
    return m;
}

// The FIN goes once SD_SEND was accepted and no send is queued - unless the connection was
// reset or the socket is being closed (the release takes care of it then).
A RefModel::maybe_fin() {
    if (fin_wanted && sends == 0 && !was_reset && !close_called) {
        fin_wanted = false;
        fin_out = true;
        return A::issue_fin;
    }
    return A::none;
}

// After close, the socket goes once nothing is outstanding (the FIN operation included).
A RefModel::maybe_release() {
    if (close_called && !released && sends == 0 && others == 0 && !fin_out) {
        released = true;
        return A::release_socket;
    }
    return A::none;
}

namespace {
bool is_app_call(E e) {
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
} // namespace

Outcome RefModel::on(E e) {
    if (is_app_call(e) && close_called)
        return {WSAENOTSOCK};
    // A datagram socket has no connection: the kernel holds its default peer, and it needs none
    // to send, receive or shut a direction down.
    const bool usable = datagram || role == Role::connected;
    switch (e) {
    case E::listen:
        if (datagram)
            return {WSAEOPNOTSUPP};
        if (role == Role::connected || role == Role::connecting)
            return {WSAEISCONN};
        role = Role::listening;
        return {};
    case E::connect_started:
        if (datagram)
            return {};
        if (role == Role::connected)
            return {WSAEISCONN};
        if (role == Role::listening)
            return {WSAEINVAL};
        if (role == Role::connecting)
            return {WSAEALREADY};
        role = Role::connecting;
        return {};
    case E::begin_send:
        if (!usable)
            return {WSAENOTCONN};
        if (!may_send)
            return {WSAESHUTDOWN};
        if (was_reset)
            return {WSAECONNRESET};
        ++sends;
        return {};
    case E::begin_recv:
        if (!usable)
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
        if (!usable || was_reset)
            return {WSAENOTCONN};
        A acts = A::none;
        const bool send_part =
            e == E::send_disconnect || e == E::shutdown_send || e == E::shutdown_both;
        const bool recv_part =
            e == E::recv_disconnect || e == E::shutdown_receive || e == E::shutdown_both;
        if (send_part && may_send) {
            may_send = false;
            fin_wanted = !datagram; // UDP has no FIN
            acts = acts | maybe_fin();
        }
        if (recv_part)
            may_recv = false;
        return {0, acts};
    }
    case E::close_linger_nonblocking:
    case E::close_graceful:
    case E::close_abortive: {
        // A datagram socket has no linger: every close is the graceful one.
        if (!datagram && e == E::close_linger_nonblocking && (sends > 0 || fin_out))
            return {WSAEWOULDBLOCK};
        A acts = A::none;
        close_called = true;
        if (sends + others > 0)
            acts = acts | A::abort_pending;
        if (!datagram && e == E::close_abortive) {
            abortive = true;
            if (role == Role::connected && !was_reset) {
                was_reset = true;
                acts = acts | A::send_rst;
            }
        }
        return {0, acts | maybe_release()};
    }
    case E::connect_established:
        if (released || datagram)
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

std::string RefModel::mismatch(HalfCloseState s) const {
    const HalfCloseConn conn = role == Role::connected    ? HalfCloseConn::connected
                               : role == Role::connecting ? HalfCloseConn::connecting
                               : role == Role::listening  ? HalfCloseConn::listening
                                                          : HalfCloseConn::unconnected;
    // A shut datagram send side is stored as fin_sent: there is nothing to wait for.
    const HalfCloseSend send = may_send               ? HalfCloseSend::open
                               : fin_out              ? HalfCloseSend::fin_issued
                               : fin_done || datagram ? HalfCloseSend::fin_sent
                                                      : HalfCloseSend::draining;
    const HalfCloseLife life = released       ? HalfCloseLife::closed
                               : close_called ? HalfCloseLife::closing
                                              : HalfCloseLife::open;
    std::string m;
    if (s.datagram() != datagram)
        m += " datagram";
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

// ---- random sequences ---------------------------------------------------------------------------
E random_event(std::mt19937_64& rng, EventWeights weights) {
    int total = 0;
    for (auto [e, w] : weights)
        total += w;
    int pick = std::uniform_int_distribution<int>{0, total - 1}(rng);
    for (auto [e, w] : weights) {
        if (pick < w)
            return e;
        pick -= w;
    }
    return weights.front().first;
}

void run_against_model(std::uint64_t seed, int steps, EventWeights weights,
                       const std::function<HalfCloseState(std::mt19937_64&)>& new_socket,
                       RunStats& stats) {
    std::mt19937_64 rng{seed};
    HalfClose real;
    RefModel model;
    model.released = true;            // the first socket starts below, as every later one
    std::vector<std::string> history; // this lifetime's transitions, for the failure message

    for (int step = 0; step < steps; ++step) {
        if (model.released) {
            const HalfCloseState initial = new_socket(rng);
            real.reinitialize(initial);
            model = RefModel::of(initial);
            history.clear();
            ++stats.lifetimes;
        }
        const E e = random_event(rng, weights);
        const Outcome want = model.on(e);
        const HalfCloseResult got = real.apply(e);
        std::array<char, half_close_transition_max> line{};
        history.emplace_back(format_transition(e, got, line));
        if (history.size() > 24)
            history.erase(history.begin());
        stats.transitions += got.changed() ? 1 : 0;
        stats.fins += got.has(A::issue_fin) ? 1 : 0;
        stats.releases += got.has(A::release_socket) ? 1 : 0;
        stats.actions_seen = stats.actions_seen | got.actions;
        ++stats.phases[got.after.phase()];

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
}

// ---- concurrent events --------------------------------------------------------------------------
ConcurrentRun::ConcurrentRun(HalfCloseState initial)
    : machine_(initial), initial_(initial), logs_(threads), errors_(threads) {}

HalfCloseResult ConcurrentRun::apply(int t, E e) {
    const bool was_released = released_.load(std::memory_order_acquire);
    const HalfCloseResult r = machine_.apply(e);
    logs_[t].push_back({e, r});
    if (was_released && (r.error == 0 || r.changed()))
        fail(t, "accepted " + std::string{to_string(e)} + " after release");
    if (r.has(A::issue_fin)) {
        if (fins_.fetch_add(1) != 0)
            fail(t, "second FIN");
        if (r.after.pending_sends() != 0)
            fail(t, "FIN with sends queued");
    }
    if (r.has(A::release_socket)) {
        if (releases_.fetch_add(1) != 0)
            fail(t, "second release");
        released_.store(true, std::memory_order_release);
    }
    return r;
}

void ConcurrentRun::follow(int t, const HalfCloseResult& r) {
    if (r.has(A::issue_fin))
        apply(t, E::fin_sent);
}

void ConcurrentRun::sender(int t, std::mt19937_64& rng) {
    int mine = 0;
    // Work until the socket is being closed (bounded), then complete what is left.
    for (int i = 0; i < max_worker_ops && machine_.load().life() == HalfCloseLife::open; ++i) {
        if (i % 32 == 31)
            std::this_thread::yield();                 // let the controller in (2 vCPUs, 4 threads)
        if (mine == 0 || (mine < 8 && (rng() & 1u))) { // keep a backlog of sends
            const bool shut_before = sd_send_done_.load(std::memory_order_acquire);
            const HalfCloseResult r = apply(t, E::begin_send);
            if (r.ok()) {
                ++mine;
                if (shut_before)
                    fail(t, "send accepted after SD_SEND");
            }
        } else {
            --mine;
            follow(t, apply(t, E::send_done));
        }
    }
    while (mine-- > 0)
        follow(t, apply(t, E::send_done));
}

void ConcurrentRun::receiver(int t, std::mt19937_64& rng, bool peer_resets) {
    int mine = 0;
    // Work until the socket is being closed (bounded), then complete what is left.
    for (int i = 0; i < max_worker_ops && machine_.load().life() == HalfCloseLife::open; ++i) {
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
        } else if (peer_resets) {
            apply(t, E::peer_reset);
        }
    }
    while (mine-- > 0)
        apply(t, E::io_done);
}

void ConcurrentRun::controller(int t, std::mt19937_64& rng, std::span<const E> closes) {
    // One SD_SEND, one SD_RECEIVE and one close at random points of the others' work.
    const int shut_at = static_cast<int>(rng() % (ops_per_thread / 2));
    const int rshut_at = (rng() & 1u) ? static_cast<int>(rng() % ops_per_thread) : -1;
    const int close_at = ops_per_thread / 4 + static_cast<int>(rng() % ops_per_thread);
    const E close = closes[rng() % closes.size()];
    // Before SD_SEND and close, wait (bounded) until operations are outstanding, so that
    // the deferred FIN and the aborting close race the other threads' completions.
    auto wait_for_pending = [&](bool sends_only) {
        for (int spin = 0; spin < 200'000; ++spin) {
            const HalfCloseState now = machine_.load();
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
                sd_send_done_.store(true, std::memory_order_release);
            follow(t, r);
            // Deferred: give the senders' completions the chance to issue the FIN.
            for (int spin = 0;
                 spin < 200'000 && r.ok() && machine_.load().send() == HalfCloseSend::draining;
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
}

void ConcurrentRun::run(std::uint64_t seed, std::span<const E> closes, bool peer_resets) {
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            std::mt19937_64 rng{seed ^ std::uint64_t(t)};
            ready.fetch_add(1);
            while (ready.load() != threads)
                std::this_thread::yield();
            if (t < 2)
                sender(t, rng);
            else if (t == 2)
                receiver(t, rng, peer_resets);
            else
                controller(t, rng, closes);
        });
    for (std::thread& th : pool)
        th.join();
}

testing::AssertionResult ConcurrentRun::verify() const {
    for (std::size_t t = 0; t < errors_.size(); ++t)
        if (!errors_[t].empty())
            return testing::AssertionFailure() << "thread " << t << ":" << errors_[t];
    const HalfCloseState last = machine_.load();
    if (last.life() != HalfCloseLife::closed)
        return testing::AssertionFailure() << "not closed: " << text(last);
    if (releases_.load() != 1)
        return testing::AssertionFailure() << releases_.load() << " releases";
    // Linearizability evidence: every transition is the pure step of its `before`, and the
    // transitions chain from the initial state to the final one (Euler-path degree balance).
    std::map<std::uint64_t, long> balance; // out - in
    for (const auto& log : logs_)
        for (const Record& rec : log) {
            const HalfCloseResult pure = half_close_step(rec.result.before, rec.event);
            if (pure.after != rec.result.after || pure.error != rec.result.error ||
                pure.actions != rec.result.actions)
                return testing::AssertionFailure()
                       << to_string(rec.event) << " in " << text(rec.result.before)
                       << " is not the pure step";
            if (rec.result.changed()) {
                ++balance[rec.result.before.bits()];
                --balance[rec.result.after.bits()];
            }
        }
    ++balance[last.bits()];
    --balance[initial_.bits()];
    for (auto [bits, b] : balance)
        if (b != 0)
            return testing::AssertionFailure()
                   << "transitions do not chain at " << text(*HalfCloseState::from_bits(bits));
    return testing::AssertionSuccess();
}

} // namespace riosp::provider::half_close_model
