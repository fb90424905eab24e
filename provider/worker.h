// The fixed worker pool: N threads started by the first WSPStartup, each owning one RIO
// completion queue that the request queues of its sockets post to. No thread is ever created
// per socket or per operation; the last WSPCleanup stops them.
#pragma once

#include <rio/net.h>
#include <rio/rio.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace riosp::provider {

class Worker {
public:
    Worker() = default;
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    [[nodiscard]] int start(unsigned id, DWORD queue_size) noexcept;
    void request_stop() noexcept;
    void join() noexcept;
    [[nodiscard]] rio::CompletionQueue& completion_queue() noexcept { return *cq_; }

private:
    void run() noexcept;
    // Dequeues and dispatches one bounded batch; returns how many completions it handled.
    unsigned drain() noexcept;

    rio::net::WakeEvent wake_;
    std::optional<rio::CompletionQueue> cq_; // set by start()
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

class WorkerPool {
public:
    // Starts `count` workers (0: one per core). 0 or a WSA error.
    [[nodiscard]] int start(unsigned count) noexcept;
    // Stops and joins every worker, recycling sockets whose I/O they drained.
    void stop() noexcept;
    // The worker a new socket is assigned to (round robin).
    [[nodiscard]] Worker& assign() noexcept;
    [[nodiscard]] unsigned size() const noexcept { return static_cast<unsigned>(workers_.size()); }

    // Completions a worker takes per dequeue: bounded for fairness between sockets.
    static constexpr unsigned drain_batch = 256;
    // Longest idle sleep of a worker between two looks at its completion queue.
    static constexpr int idle_poll_ms = 50;
    // CQ entries per worker: each socket's request queue charges 2 (one send, one receive).
    static constexpr DWORD cq_entries = 64 * 1024;

private:
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<unsigned> next_{0};
};

} // namespace riosp::provider
