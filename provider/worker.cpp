#include "worker.h"

#include "data_path.h"
#include "provider_state.h"
#include "socket.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace riosp::provider {

bool Worker::defer_fin(Socket& s) noexcept {
    if (!spinning_.load(std::memory_order_seq_cst))
        return false;
    {
        std::lock_guard lock(fin_mu_);
        if (fins_.full())
            return false;
        fins_.push() = &s;
        fins_waiting_.store(fins_.size(), std::memory_order_seq_cst);
    }
    // The worker may have stopped spinning between the first look and the push, and taken its
    // last look at the queue before the push: then it sleeps, so wake it.
    if (!spinning_.load(std::memory_order_seq_cst))
        wake_.signal();
    return true;
}

unsigned Worker::run_deferred_fins() noexcept {
    if (fins_waiting_.load(std::memory_order_seq_cst) == 0)
        return 0;
    std::array<Socket*, 64> batch;
    std::size_t n = 0;
    {
        std::lock_guard lock(fin_mu_);
        while (n < batch.size() && !fins_.empty()) {
            batch[n++] = fins_.front();
            fins_.pop();
        }
        fins_waiting_.store(fins_.size(), std::memory_order_seq_cst);
    }
    for (std::size_t i = 0; i < n; ++i)
        run_deferred_fin(*batch[i]); // never with fin_mu_ held: it takes the socket's mutex
    return static_cast<unsigned>(n);
}

Worker::~Worker() {
    join();
}

int Worker::start(unsigned id, DWORD queue_size, std::chrono::microseconds spin,
                  int idle_ms) noexcept {
    (void)id;
    spin_ = spin;
    idle_ms_ = idle_ms;
    if (int err = wake_.open())
        return err;
    RIO_NOTIFICATION_COMPLETION notification{};
    notification.Type = RIO_EVENT_COMPLETION;
    notification.Event.EventHandle = wake_.notification_handle();
    notification.Event.NotifyReset = FALSE; // the worker resets it itself after each wait
    // No io_uring buffer table for the provider's own rings: entering a socket's region pins
    // all of it (RSS per idle socket 28.6 -> 147.5 KiB in riosp-load's probe) for a gain the
    // receive-stream benchmark cannot tell from noise (2.81 vs 2.75 GB/s). Applications that
    // ask for the RIO table keep the default (Windows locks registered buffers too).
    rio::CqOptions options;
    options.fixed_buffers = false;
    auto cq = rio::CompletionQueue::create(queue_size, &notification, options);
    if (!cq)
        return cq.error();
    cq_.emplace(std::move(cq.value()));
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        return WSAENOBUFS;
    }
    return 0;
}

void Worker::request_stop() noexcept {
    stop_.store(true, std::memory_order_release);
    wake_.signal();
}

void Worker::join() noexcept {
    if (thread_.joinable())
        thread_.join();
}

unsigned Worker::drain() noexcept {
    std::array<RIORESULT, WorkerPool::drain_batch> results;
    ULONG n = cq_->dequeue(results);
    if (n == RIO_CORRUPT_CQ) {
        std::fprintf(stderr, "riosp: worker completion queue corrupt; worker stops\n");
        stop_.store(true, std::memory_order_release);
        return 0;
    }
    for (ULONG i = 0; i < n; ++i)
        dispatch_completion(results[i]);
    return n;
}

void Worker::run() noexcept {
    using clock = std::chrono::steady_clock;
    thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
    while (!stop_.load(std::memory_order_acquire)) {
        if (drain() + run_deferred_fins() > 0)
            continue;
        if (spin_.count() > 0) {
            // Busy-poll mode (RIO's polled completions): keep looking for spin_ before paying
            // for a notification and a sleep; a completion or a handed-over FIN restarts the
            // budget.
            const auto until = clock::now() + spin_;
            bool got = false;
            spinning_.store(true, std::memory_order_seq_cst);
            while (!got && clock::now() < until && !stop_.load(std::memory_order_relaxed))
                got = drain() + run_deferred_fins() > 0;
            spinning_.store(false, std::memory_order_seq_cst);
            // A FIN pushed while this thread still read as spinning is taken now, before the
            // sleep (the pusher saw `true` and will not wake us).
            got = run_deferred_fins() > 0 || got;
            if (got)
                continue;
        }
        // Sleep until a completion may be waiting (on io_uring: on the ring itself, no hop
        // through rio's progress thread), a wake-up, or at most idle_ms_: a dequeue every
        // idle_ms_ also enters the kernel, which runs any io_uring completion work still
        // queued to this thread (belt and braces for a lost notification; idle cost: a few
        // syscalls per second).
        (void)cq_->wait(idle_ms_);
    }
    // Stopping (last WSPCleanup): every socket was aborted; collect the aborted completions
    // until every socket is recycled (a socket with nothing in flight already was), or until
    // none has come for a while.
    for (int quiet = 0; quiet < 20 && socket_table().in_use() > 0;) {
        if (drain() + run_deferred_fins() > 0)
            quiet = 0;
        else {
            ++quiet;
            wake_.wait_and_reset(5);
            (void)cq_->notify();
        }
    }
}

std::chrono::microseconds WorkerPool::busy_poll_budget() noexcept {
    if (const char* us = std::getenv("RIOSP_BUSY_POLL_US")) {
        long v = std::strtol(us, nullptr, 10);
        return std::chrono::microseconds(v > 0 && v <= 1'000'000 ? v : 0);
    }
    if (const char* on = std::getenv("RIOSP_BUSY_POLL"); on != nullptr && on[0] == '1')
        return default_spin;
    return std::chrono::microseconds(0);
}

int WorkerPool::idle_wait_ms() noexcept {
    if (const char* ms = std::getenv("RIOSP_WORKER_IDLE_MS")) {
        const long v = std::strtol(ms, nullptr, 10);
        if (v >= 1 && v <= 3'600'000)
            return static_cast<int>(v);
    }
    return idle_poll_ms;
}

int WorkerPool::start(unsigned count) noexcept {
    const auto spin = busy_poll_budget();
    spin_ = spin;
    const char* udp_sends = std::getenv("RIOSP_UDP_SENDS");
    udp_via_ring_ = udp_sends != nullptr && std::string_view(udp_sends) == "ring";
    const int idle_ms = idle_wait_ms();
    if (count == 0)
        count = std::max(1u, std::thread::hardware_concurrency());
    try {
        workers_.reserve(count);
        for (unsigned i = 0; i < count; ++i) {
            workers_.push_back(std::make_unique<Worker>());
            if (int err = workers_.back()->start(i, cq_entries, spin, idle_ms)) {
                stop();
                return err;
            }
        }
    } catch (...) {
        stop();
        return WSAENOBUFS;
    }
    return 0;
}

void WorkerPool::stop() noexcept {
    for (auto& w : workers_)
        w->request_stop();
    for (auto& w : workers_)
        w->join();
    // Whatever the workers could not drain: release those sockets now, dropping their request
    // queues before the CQs go. One a call still holds (past WSPCleanup's wait) is recycled when
    // that call leaves.
    socket_table().for_each_in_use([](Socket& s) {
        std::lock_guard lock(s.mutex);
        if (s.released())
            return;
        SocketTable::retire(s); // every socket was closed; this only makes it certain
        release(s, true);
    });
    workers_.clear();
}

Worker& WorkerPool::assign() noexcept {
    unsigned i = next_.fetch_add(1, std::memory_order_relaxed) % size();
    return *workers_[i];
}

} // namespace riosp::provider
