// The watchdog thread (watchdog.h): checks every 100 ms.
#include "watchdog.h"

#include "connection.h"
#include "sys.h"

#include <chrono>
#include <cstdio>

namespace riosp::load {

Watchdog::Watchdog(const char* transport, const char* unit, double timeout_s,
                   const std::vector<std::unique_ptr<WorkerStats>>& workers)
    : transport_(transport), unit_(unit), timeout_s_(timeout_s), workers_(workers) {
    thread_ = std::thread([this] {
        while (!quit_.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            check();
        }
    });
}

Watchdog::~Watchdog() {
    quit_.store(true);
    thread_.join();
}

void Watchdog::phase(const char* name) noexcept {
    phase_name_.store(name);
    phase_deadline_ns_.store(now_ns() + static_cast<std::int64_t>((timeout_s_ + 5) * 1e9));
}

void Watchdog::clear_phase() noexcept {
    phase_deadline_ns_.store(0);
}

void Watchdog::check() {
    const std::int64_t now = now_ns();
    const auto limit = static_cast<std::int64_t>(timeout_s_ * 1e9);
    for (const auto& w : workers_) {
        if (w->busy_since_ns.load() == 0)
            continue;
        const std::int64_t last = w->last_progress_ns.load();
        if (now - last > limit) {
            std::fprintf(stderr,
                         "riosp-load: %s: watchdog: %s %llu (%s side) made no progress for %.1f "
                         "s in '%s'; ending the run (exit 1)\n",
                         transport_, unit_, static_cast<unsigned long long>(w->conn_id.load()),
                         name_of(w->side), static_cast<double>(now - last) / 1e9, w->phase.load());
            hard_exit(1);
        }
    }
    const std::int64_t deadline = phase_deadline_ns_.load();
    if (deadline != 0 && now > deadline) {
        std::fprintf(stderr,
                     "riosp-load: %s: watchdog: '%s' did not finish in time; ending the run "
                     "(exit 1)\n",
                     transport_, phase_name_.load());
        hard_exit(1);
    }
}

} // namespace riosp::load
