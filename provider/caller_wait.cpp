#include "caller_wait.h"

#include "provider_state.h"
#include "test_hooks.h"

#include <atomic>
#include <thread>

namespace riosp::provider {

void wait_until_no_caller_waits(std::chrono::milliseconds limit) noexcept {
    // Per socket: a global count would be one more cache line that every blocking call on every
    // thread writes twice.
    static std::atomic<bool> waiting{false};
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        waiting.store(false, std::memory_order_relaxed);
        socket_table().for_each_in_use([](Socket& s) {
            if (s.callers.load(std::memory_order_acquire) != 0)
                waiting.store(true, std::memory_order_relaxed);
        });
        if (!waiting.load(std::memory_order_relaxed) || std::chrono::steady_clock::now() >= until)
            return;
        RIOSP_TEST_HOOK(cleanup_waits, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

} // namespace riosp::provider
