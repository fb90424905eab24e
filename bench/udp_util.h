// The UDP benchmarks' harness, shared by the provider (provider_udp.cpp), the raw baselines
// (udp_raw.cpp) and rio (rio_udp.cpp). No socket headers, so the Windows-layout and the BSD
// translation units can both include it; each brings its own send and receive.
//
// UDP on loopback has no flow control: a sender faster than its receiver overflows the
// receive buffer and the kernel drops datagrams silently. A benchmark that waited for every
// datagram would then wait forever, so every datagram carries a head (the timed iteration it
// belongs to, data or end marker), the receiver counts the data of the current iteration, and
// the sender, once the count stops moving, sends end markers until the receiver has seen one:
// the iteration then ends with what arrived, and the rest are counted as drops.
#pragma once

#include "bench_util.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <thread>

namespace riosp::bench::udp {

constexpr int payload = 64;
// Datagrams per sendmmsg/recvmmsg call and per RIO_MSG_DEFER commit.
constexpr int batch = 32;
// Datagrams per timed iteration of the rate benchmarks: enough that the receiver's first
// wake-up is noise (~1%), few enough (~3 MiB of kernel memory at ~700 B per 64 B datagram)
// to fit the receive buffer below, so a receiver that falls behind is late, not lossy.
constexpr int per_iteration = 4096;
// Requested SO_RCVBUF on every receiving socket, riosp's and the baselines' alike (the kernel
// caps it at net.core.rmem_max and doubles it).
constexpr int rcvbuf = 4 << 20;
// The receiver's count has not moved for this long: what is missing is lost.
constexpr auto quiet = std::chrono::milliseconds(10);
// End markers unanswered for this long: the receiver is stuck; the benchmark stops.
constexpr auto give_up = std::chrono::seconds(2);

enum class Kind : std::uint32_t { data = 0, end = 1 };
struct Head {
    std::uint64_t gen = 0; // timed iteration (rate) or round trip number (ping-pong)
    Kind kind = Kind::data;
};

inline void stamp(char* p, std::uint64_t gen, Kind kind) {
    const Head h{gen, kind};
    std::memcpy(p, &h, sizeof h);
}
inline Head head_of(const char* p) {
    Head h;
    std::memcpy(&h, p, sizeof h);
    return h;
}

// The state a rate benchmark's sender (the benchmark thread) and receiver thread share.
class RateCounter {
public:
    // Receiver thread: one datagram of `len` bytes, received at `now`.
    void on_datagram(const char* p, long len, Clock::time_point now) noexcept {
        if (len < static_cast<long>(sizeof(Head)))
            return;
        const Head h = head_of(p);
        const std::uint64_t g = gen_.load(std::memory_order_acquire);
        if (h.gen != g || closed_.load(std::memory_order_relaxed) == g)
            return; // an earlier iteration's late end marker, or a closed iteration
        if (h.kind == Kind::end) {
            closed_.store(g, std::memory_order_release);
            return;
        }
        const int n = got_.load(std::memory_order_relaxed) + 1;
        got_.store(n, std::memory_order_relaxed);
        last_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
        if (n == per_iteration)
            closed_.store(g, std::memory_order_release);
    }
    [[nodiscard]] bool stopping() const noexcept { return stop_.load(std::memory_order_relaxed); }
    // Receiver thread, on its way out.
    void exited() noexcept { exited_.store(true, std::memory_order_release); }

    // Sender: opens the next iteration and returns its number (what its datagrams carry).
    std::uint64_t begin() noexcept {
        got_.store(0, std::memory_order_relaxed);
        last_.store(0, std::memory_order_relaxed);
        const std::uint64_t g = gen_.load(std::memory_order_relaxed) + 1;
        gen_.store(g, std::memory_order_release);
        return g;
    }
    struct Result {
        int received;
        Clock::time_point last; // when the last one arrived
    };
    // Sender: waits until iteration g has all its datagrams or an end marker was seen, sending
    // end markers (send_end(g)) once the count stops moving; nullopt if the receiver is stuck.
    // Sleeps between looks: the wait is not timed, and the receiver needs the CPU.
    template <class SendEnd> std::optional<Result> wait(std::uint64_t g, SendEnd&& send_end) {
        auto moved = Clock::now();
        std::optional<Clock::time_point> first_end;
        int seen = -1;
        while (closed_.load(std::memory_order_acquire) != g) {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            const auto now = Clock::now();
            const int n = got_.load(std::memory_order_relaxed);
            if (n != seen) {
                seen = n;
                moved = now;
            } else if (now - moved >= quiet) {
                if (first_end && now - *first_end >= give_up)
                    return std::nullopt;
                if (!first_end)
                    first_end = now;
                send_end(g);
                moved = now;
            }
        }
        const Clock::duration last(last_.load(std::memory_order_relaxed));
        return Result{got_.load(std::memory_order_relaxed), Clock::time_point(last)};
    }
    // Sender: makes the receiver thread leave (any datagram wakes it once stopping() is set).
    // False if it did not within give_up.
    template <class SendEnd> bool stop(SendEnd&& send_end) {
        stop_.store(true, std::memory_order_relaxed);
        const auto until = Clock::now() + give_up;
        while (!exited_.load(std::memory_order_acquire)) {
            if (Clock::now() > until)
                return false;
            send_end(0);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }

private:
    std::atomic<std::uint64_t> gen_{0};
    std::atomic<std::uint64_t> closed_{0};
    std::atomic<int> got_{0};
    std::atomic<Clock::rep> last_{0};
    std::atomic<bool> stop_{false};
    std::atomic<bool> exited_{false};
};

// The timed loop of a rate benchmark, whose receiver thread feeds `c`: send(gen, n) sends n data
// datagrams stamped gen (true when all went), send_end(gen) one end marker. Each iteration is
// timed from its first send to its last arrival (manual time); datagrams/s count what arrived.
// Ends with c.stop(): the caller joins its receiver thread afterwards (unblocking it first if
// this returns false).
template <class Send, class SendEnd>
[[nodiscard]] bool run_rate(benchmark::State& state, RateCounter& c, Send&& send,
                            SendEnd&& send_end) {
    std::int64_t sent = 0;
    std::int64_t received = 0;
    for (auto _ : state) {
        const std::uint64_t g = c.begin();
        const auto t0 = Clock::now();
        if (!send(g, per_iteration)) {
            state.SkipWithError("send failed");
            break;
        }
        sent += per_iteration;
        const auto r = c.wait(g, send_end);
        if (!r) {
            state.SkipWithError("receiver stuck: end markers unanswered");
            break;
        }
        received += r->received;
        state.SetIterationTime(seconds_between(t0, r->received > 0 ? r->last : Clock::now()));
    }
    state.SetItemsProcessed(received);
    state.counters["drops"] = static_cast<double>(sent - received);
    state.counters["drop_pct"] =
        sent > 0 ? 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent) : 0;
    return c.stop(send_end);
}

// The ping-pong's far end (udp_raw.cpp): a plain-socket thread on 127.0.0.1 sending each
// datagram back to its source. While idle (nothing for 100 ms after a reply) it repeats its
// last reply as an end-kind "nudge": a near end still waiting then knows its request or the
// reply was lost and sends again, instead of waiting forever.
class Echo {
public:
    Echo();
    ~Echo();
    Echo(const Echo&) = delete;
    Echo& operator=(const Echo&) = delete;
    [[nodiscard]] bool ok() const { return fd_ >= 0; }
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    void run();
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// The ping-pong's timed loop over the near end's send(buf) and recv(buf) (64 B; the bytes or
// < 0): one round trip per iteration, each timed for p50/p99 (manual time). A reply of an
// earlier round trip (a duplicate) is skipped; a nudge means a loss: sent again, counted.
template <class Send, class Recv>
void run_pingpong(benchmark::State& state, Send&& send, Recv&& recv) {
    char msg[payload] = {};
    char in[payload] = {};
    Samples samples;
    samples.reserve(1 << 20);
    std::uint64_t seq = 0;
    std::int64_t lost = 0;
    for (auto _ : state) {
        stamp(msg, ++seq, Kind::data);
        const auto t0 = Clock::now();
        bool ok = send(msg) == payload;
        for (;;) {
            if (!ok || recv(in) < static_cast<long>(sizeof(Head))) {
                ok = false;
                break;
            }
            const Head h = head_of(in);
            if (h.gen == seq && h.kind == Kind::data)
                break;
            if (h.kind == Kind::end) {
                ++lost;
                ok = send(msg) == payload;
            }
        }
        if (!ok) {
            state.SkipWithError("UDP ping-pong failed");
            break;
        }
        const double dt = seconds_between(t0, Clock::now());
        samples.add(dt);
        state.SetIterationTime(dt);
    }
    samples.report(state);
    state.counters["lost"] = static_cast<double>(lost);
    state.SetItemsProcessed(state.iterations());
}

} // namespace riosp::bench::udp
