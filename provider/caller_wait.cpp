#include "caller_wait.h"

#include "provider_state.h"
#include "test_hooks.h"

#include <atomic>
#include <thread>

namespace riosp::provider {

void wait_until_no_calls_inside(std::chrono::milliseconds limit) noexcept {
    // Per socket: its pins are the calls holding it (SocketRef), and its own reference until it
    // is released. No global count: that would be one more cache line every call on every
    // thread writes twice.
    static std::atomic<bool> inside{false};
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        inside.store(false, std::memory_order_relaxed);
        socket_table().for_each_in_use([](Socket& s) {
            std::lock_guard lock(s.mutex); // `released` is written under it
            if (SocketTable::pins(s) > (s.released() ? 0U : 1U))
                inside.store(true, std::memory_order_relaxed);
        });
        if (!inside.load(std::memory_order_relaxed) || std::chrono::steady_clock::now() >= until)
            return;
        RIOSP_TEST_HOOK(cleanup_waits, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

} // namespace riosp::provider
