// The workload engine: an accept loop with connection threads (server side) and client threads
// connecting in a loop, both over any Transport, with a status line every second and a
// watchdog that ends a stuck run with exit code 1.
#pragma once

#include "options.h"
#include "stats.h"
#include "transport.h"

#include <atomic>

namespace riosp::load {

// Runs one transport's workload in the role of `o`. `interrupted` (SIGINT/SIGTERM) ends it
// early. The memory probe runs in the embedded role only.
[[nodiscard]] Summary run_workload(Transport& t, const Options& o,
                                   const std::atomic<bool>& interrupted);

} // namespace riosp::load
