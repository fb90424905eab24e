// The fixed worker pool: N threads started by the first WSPStartup, each owning one RIO
// completion queue that the request queues of its sockets post to. No thread is ever created
// per socket or per operation; the last WSPCleanup stops them.
#pragma once

#include "fixed_queue.h"

#include <rio/net.h>
#include <rio/rio.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace riosp::provider {

struct Socket;

class Worker {
public:
    Worker() = default;
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // spin: busy-poll budget before sleeping (0: sleep as soon as the queue is empty);
    // idle_ms: longest sleep between two looks at the completion queue.
    [[nodiscard]] int start(unsigned id, DWORD queue_size, std::chrono::microseconds spin,
                            int idle_ms) noexcept;
    void request_stop() noexcept;
    void join() noexcept;
    [[nodiscard]] rio::CompletionQueue& completion_queue() noexcept { return *cq_; }

    // Busy-poll mode: hands `s`'s FIN (shutdown(SHUT_WR)) to this worker while it is spinning,
    // so the application thread pays a queue push instead of the shutdown, whose FIN
    // processing on loopback is most of WSASendDisconnect's cost. False (the caller issues it
    // itself) when the worker is not spinning or the queue is full. Called with s.mutex held;
    // the worker reports fin_sent through data_path's run_deferred_fin.
    [[nodiscard]] bool defer_fin(Socket& s) noexcept;
    // Whether the calling thread is this worker (which issues its sockets' FINs itself). A
    // thread id, not a thread_local flag: the first touch of a thread_local of a dlopen'ed
    // module allocates that thread's TLS block, on the application's disconnect path.
    [[nodiscard]] bool runs_here() const noexcept {
        return thread_id_.load(std::memory_order_acquire) == std::this_thread::get_id();
    }
    // FINs waiting per worker: preallocated, so the hand-off never allocates.
    static constexpr std::size_t deferred_fin_capacity = 1024;

private:
    void run() noexcept;
    // Dequeues and dispatches one bounded batch; returns how many completions it handled.
    unsigned drain() noexcept;
    // Issues the FINs handed over by defer_fin; returns how many.
    unsigned run_deferred_fins() noexcept;

    rio::net::WakeEvent wake_;
    std::optional<rio::CompletionQueue> cq_; // set by start()
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::chrono::microseconds spin_{0};
    int idle_ms_ = 50;
    // True only while run() spins (busy-poll): then a deferred FIN is seen within the spin.
    // seq_cst on both sides with fin_mu_ between: a FIN pushed while this reads true is taken
    // before the worker sleeps, or the pusher sees false and wakes it (see defer_fin).
    std::atomic<bool> spinning_{false};
    std::atomic<std::thread::id> thread_id_{}; // set by run() itself
    std::mutex fin_mu_;
    FixedQueue<Socket*, deferred_fin_capacity> fins_; // guarded by fin_mu_
    // fins_.size() mirrored outside the lock: the spinning worker only reads it, so its loop does
    // not pull fin_mu_'s cache line away from the application thread that pushes.
    std::atomic<std::size_t> fins_waiting_{0};
};

class WorkerPool {
public:
    // Starts `count` workers (0: one per core). 0 or a WSA error.
    [[nodiscard]] int start(unsigned count) noexcept;
    // Stops and joins every worker, recycling sockets whose I/O they drained.
    void stop() noexcept;
    // Busy-poll mode, off by default: RIOSP_BUSY_POLL=1 spins default_spin before sleeping,
    // RIOSP_BUSY_POLL_US=<n> spins n microseconds (0 turns it off).
    [[nodiscard]] static std::chrono::microseconds busy_poll_budget() noexcept;
    static constexpr std::chrono::microseconds default_spin{200};
    // The worker a new socket is assigned to (round robin).
    [[nodiscard]] Worker& assign() noexcept;
    [[nodiscard]] unsigned size() const noexcept { return static_cast<unsigned>(workers_.size()); }
    // The busy-poll budget the pool runs with (0: off); blocking callers spin as long.
    [[nodiscard]] std::chrono::microseconds spin() const noexcept { return spin_; }
    // RIOSP_UDP_SENDS=ring: every datagram send goes through the socket's send area and a
    // RIOSendEx, never straight to the kernel. The ring path otherwise runs only when the kernel
    // has no room, which loopback never lacks; tests and benchmarks use it to reach that path.
    [[nodiscard]] bool datagram_sends_through_ring() const noexcept { return udp_via_ring_; }

    // Completions a worker takes per dequeue: bounded for fairness between sockets.
    static constexpr unsigned drain_batch = 256;
    // Longest idle sleep of a worker between two looks at its completion queue: idle_poll_ms,
    // or RIOSP_WORKER_IDLE_MS=<1..3600000>. Completions wake a worker by themselves; the bound
    // only caps the cost of a lost wake-up (tests run with an hour to prove there is none).
    static constexpr int idle_poll_ms = 50;
    [[nodiscard]] static int idle_wait_ms() noexcept;
    // CQ entries per worker: each socket's request queue charges 2 (one send, one receive).
    static constexpr DWORD cq_entries = 64 * 1024;

private:
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<unsigned> next_{0};
    std::chrono::microseconds spin_{0};
    bool udp_via_ring_ = false;
};

} // namespace riosp::provider
