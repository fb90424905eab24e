// One connection of the workload, as both sides run it (workload.cpp holds the run: threads,
// status, watchdog, summary): the hello that starts it, the conversation in its pattern with
// every byte checked, and its shutdown. Internal to riosp-load.
#pragma once

#include "options.h"
#include "pattern.h"
#include "stats.h"
#include "transport.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace riosp::load {

using Clock = std::chrono::steady_clock;

inline std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

// ---------------------------------------------------------------- hello
constexpr std::size_t hello_size = 32;
constexpr char hello_magic[8] = {'R', 'I', 'O', 'S', 'P', 'L', 'D', '1'};
constexpr std::size_t done_size = 8;
constexpr std::uint64_t done_offset = std::uint64_t{1} << 60; // the marker's place in the stream

struct Hello {
    std::uint64_t id = 0;
    Pattern pattern = Pattern::pingpong;
    Plan plan = Plan::graceful;
    std::uint32_t message_size = 0;
    std::uint64_t bytes = 0;
};

// The hello's 32 bytes; false for bytes that are no hello.
void encode(const Hello& h, std::uint8_t* p) noexcept;
[[nodiscard]] bool decode(const std::uint8_t* p, Hello& h) noexcept;
// The shutdown plan of connection `id` (random: a reproducible mix of the seed and the id).
[[nodiscard]] Plan choose_plan(Shutdown kind, std::uint64_t seed, std::uint64_t id) noexcept;

// ---------------------------------------------------------------- companion thread
// Runs one job at a time for a connection thread (duplex: the sending direction).
class Companion {
public:
    Companion() : thread_([this] { loop(); }) {}
    ~Companion() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Companion(const Companion&) = delete;
    Companion& operator=(const Companion&) = delete;
    void start(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            job_ = std::move(job);
            busy_ = true;
        }
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !busy_; });
    }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [&] { return quit_ || (busy_ && job_); });
            if (busy_ && job_) {
                auto job = std::move(job_);
                job_ = nullptr;
                lock.unlock();
                job();
                lock.lock();
                busy_ = false;
                cv_.notify_all();
                continue;
            }
            if (quit_)
                return;
        }
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::function<void()> job_;
    bool busy_ = false;
    bool quit_ = false;
    std::thread thread_;
};

// What a connection tells its run (workload.cpp's Run).
class ConnEvents {
public:
    // A received byte that is not the pattern's (reported at most a few times per run).
    virtual void data_error(std::uint64_t conn_id, const char* what, std::uint64_t offset,
                            int expected, int got) = 0;

protected:
    ~ConnEvents() = default;
};

// ---------------------------------------------------------------- one connection
// The result of a step: ok, or the first failure.
struct Failure {
    Outcome outcome = Outcome::ok;
    int wsa = 0;
    const char* phase = "";
    [[nodiscard]] bool ok() const noexcept { return outcome == Outcome::ok; }
};

class Conn {
public:
    Conn(ConnEvents& run, Transport& t, WorkerStats& w, Sock s, std::vector<std::uint8_t>& rbuf,
         std::vector<std::uint8_t>& sbuf, Companion* companion)
        : run_(run), t_(t), w_(w), s_(s), rbuf_(rbuf), sbuf_(sbuf), companion_(companion) {}

    // The conversation after the hello; fills `rec` and closes the socket.
    void converse(Side side, const Hello& h, ConnRecord& rec);

    Failure send_stream(Dir d, std::uint64_t off, std::uint64_t n, std::vector<std::uint8_t>& buf,
                        std::uint64_t& counter);
    Failure recv_exact(Dir d, std::uint64_t off, std::uint64_t n, std::uint64_t id,
                       const char* phase, std::uint64_t& counter);
    Failure send_raw(const std::uint8_t* p, std::size_t n, const char* phase);
    Failure recv_raw(std::uint8_t* p, std::size_t n, const char* phase);
    int disconnect_call(int (Transport::*fn)(Sock) noexcept);
    void close_after_failure();

    std::uint64_t id = 0;

private:
    void progress(const char* phase) noexcept {
        w_.last_progress_ns.store(now_ns(), std::memory_order_relaxed);
        w_.phase.store(phase, std::memory_order_relaxed);
    }
    Failure final_receive_expect_fin();
    Failure final_receive_expect_reset();

    ConnEvents& run_;
    Transport& t_;
    WorkerStats& w_;
    Sock s_;
    std::vector<std::uint8_t>& rbuf_;
    std::vector<std::uint8_t>& sbuf_;
    Companion* companion_;
    bool closed_ = false;
};

} // namespace riosp::load
