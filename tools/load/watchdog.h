// The run's last line of defence, shared by the TCP and the UDP workload: a blocked socket call
// cannot be interrupted, so a thread ends the whole process (exit 1, one line saying where) when
// a busy worker makes no progress for --timeout, or when a step of the run's own shutdown
// (stopping threads, the memory probe) overruns its grace time.
#pragma once

#include "stats.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace riosp::load {

class Watchdog {
public:
    // `unit` names what a worker's conn_id counts ("connection", "flow"). `workers` must outlive
    // the watchdog and not change while it runs.
    Watchdog(const char* transport, const char* unit, double timeout_s,
             const std::vector<std::unique_ptr<WorkerStats>>& workers);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    // `name` (a string literal) must finish within --timeout + 5 s.
    void phase(const char* name) noexcept;
    void clear_phase() noexcept;

private:
    void check();

    const char* transport_;
    const char* unit_;
    double timeout_s_;
    const std::vector<std::unique_ptr<WorkerStats>>& workers_;
    std::atomic<bool> quit_{false};
    std::atomic<std::int64_t> phase_deadline_ns_{0};
    std::atomic<const char*> phase_name_{""};
    std::thread thread_;
};

} // namespace riosp::load
