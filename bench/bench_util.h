// Helpers shared by the provider and raw benchmark files; no socket headers, so both the
// Windows-layout (<riosp/ws.h>) and the BSD translation units can include it.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace riosp::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// Per-iteration samples (seconds) → p50/p99 counters in microseconds.
class Samples {
public:
    void reserve(std::size_t n) { v_.reserve(n); }
    void add(double s) { v_.push_back(s); }
    void report(benchmark::State& state) {
        if (v_.empty())
            return;
        std::sort(v_.begin(), v_.end());
        auto at = [&](double q) {
            auto i = static_cast<std::size_t>(q * static_cast<double>(v_.size() - 1) + 0.5);
            return v_[std::min(i, v_.size() - 1)] * 1e6;
        };
        state.counters["p50_us"] = at(0.50);
        state.counters["p99_us"] = at(0.99);
        state.counters["min_us"] = v_.front() * 1e6;
    }

private:
    std::vector<double> v_;
};

// `threads` persistent client threads; run(n) has them perform n calls of `one` (each call is
// one whole connection) between them and returns when all are done. `one` returns 0 or an
// error code (negative errno or a WSA code); the first error stops the batch and is returned.
class ClientPool {
public:
    using Fn = std::function<int(int thread_index)>;
    ClientPool(int threads, Fn one) : one_(std::move(one)) {
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this, i] { loop(i); });
    }
    ~ClientPool() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_)
            t.join();
    }
    ClientPool(const ClientPool&) = delete;
    ClientPool& operator=(const ClientPool&) = delete;

    int run(int n) {
        std::unique_lock lock(mu_);
        tickets_.store(n);
        error_.store(0);
        active_ = static_cast<int>(threads_.size());
        ++generation_;
        cv_.notify_all();
        done_cv_.wait(lock, [&] { return active_ == 0; });
        return error_.load();
    }

private:
    void loop(int index) {
        std::uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_)
                    return;
                seen = generation_;
            }
            while (tickets_.fetch_sub(1) > 0) {
                if (int err = one_(index)) {
                    int zero = 0;
                    error_.compare_exchange_strong(zero, err);
                    tickets_.store(0);
                    break;
                }
            }
            std::lock_guard lock(mu_);
            if (--active_ == 0)
                done_cv_.notify_all();
        }
    }

    Fn one_;
    std::vector<std::thread> threads_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable done_cv_;
    std::uint64_t generation_ = 0;
    int active_ = 0;
    bool stop_ = false;
    std::atomic<int> tickets_{0};
    std::atomic<int> error_{0};
};

// Connections per timed iteration of the churn benchmarks, and how many iterations (after one
// untimed batch: the first connections of a run grow tables, slabs and caches on both sides,
// and a repetition is meant to measure the steady state): fixed so a run stays well inside the
// ephemeral port range (28k ports, TIME_WAIT 60 s; loopback reuses TIME_WAIT ports with
// tcp_tw_reuse=2).
inline int churn_batch(int concurrency) {
    return std::max(512, concurrency * 4);
}
constexpr int churn_iterations = 4;
// Iterations of the per-call disconnect benchmarks (one fresh connection each).
constexpr int disconnect_iterations = 1000;

} // namespace riosp::bench
