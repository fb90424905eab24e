// What the provider-level model tests share (provider_model_test.cpp for streams,
// provider_datagram_model_test.cpp for datagrams): the seed, the check of an expected error, and
// the run of random sequences on several threads at once with its report. Each thread works on
// sockets of its own; all of them share the provider's workers and handle table, which is what
// the concurrency is for.
#pragma once

#include <riosp/ws.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test::model {

// The seed of a run: the environment variable's value to replay one, else a fresh one.
inline std::uint64_t seed_from_env(const char* variable) {
    if (const char* env = std::getenv(variable))
        return std::strtoull(env, nullptr, 10);
    return std::random_device{}();
}

// `rc` is a call's result that must be SOCKET_ERROR with `wsa`, `got` the error the call left
// (read by the caller before anything that may change the last error: closing an event does
// under Wine): "" or what went wrong.
inline std::string expect_error(int rc, int got, int wsa, const char* what) {
    if (rc != SOCKET_ERROR)
        return std::string(what) + ": succeeded, expected " + std::to_string(wsa);
    if (got != wsa)
        return std::string(what) + ": got " + std::to_string(got) + ", expected " +
               std::to_string(wsa);
    return {};
}
// The same, reading the last error now.
inline std::string expect_error(int rc, int wsa, const char* what) {
    return expect_error(rc, rc == SOCKET_ERROR ? ws::WSAGetLastError() : 0, wsa, what);
}

// What one thread's part of a run did: its steps, and its first failure ("" when none).
struct ThreadResult {
    int steps = 0;
    std::string failure;
};

// Runs body(t, rng, failures) on `threads` threads, thread t with rng seeded seed + t; a body
// stops early once `failures` is non-zero (another thread's failure already fails the run).
// Every failure is reported with the variable that replays the seed. A run that hangs (a blocking
// call the model wrongly expected to return) would otherwise leave only ctest's timeout, with
// no seed: after `hang_limit` the seed is printed and the process aborts. Returns the steps run.
template <class Body>
int run_threads(int threads, std::uint64_t seed, const char* seed_variable, Body body,
                std::chrono::seconds hang_limit = std::chrono::seconds(300)) {
    std::atomic<int> failures{0};
    std::atomic<int> steps{0};
    std::vector<std::string> reports(static_cast<std::size_t>(threads));
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::thread watchdog([&] {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, hang_limit, [&] { return finished; })) {
            std::fprintf(stderr, "model run hung; replay with %s=%llu\n", seed_variable,
                         static_cast<unsigned long long>(seed));
            std::abort();
        }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
            ThreadResult r = body(t, rng, static_cast<const std::atomic<int>&>(failures));
            steps.fetch_add(r.steps);
            if (!r.failure.empty()) {
                reports[static_cast<std::size_t>(t)] = std::move(r.failure);
                failures.fetch_add(1);
            }
        });
    }
    for (auto& w : workers)
        w.join();
    {
        std::lock_guard lock(m);
        finished = true;
    }
    cv.notify_one();
    watchdog.join();
    for (const auto& r : reports)
        EXPECT_TRUE(r.empty()) << r << "\n  replay with " << seed_variable << "=" << seed;
    return steps.load();
}

} // namespace riosp::test::model
