#include "caller_wait.h"

#include "provider_state.h"

#include <atomic>
#include <thread>

namespace riosp::provider {

void enter_caller_wait(Socket& s, CallerWait& w) noexcept {
    w.prev = nullptr;
    w.next = s.caller_waits;
    if (w.next != nullptr)
        w.next->prev = &w;
    s.caller_waits = &w;
}

void leave_caller_wait(Socket& s, CallerWait& w) noexcept {
    if (w.prev != nullptr)
        w.prev->next = w.next;
    else
        s.caller_waits = w.next;
    if (w.next != nullptr)
        w.next->prev = w.prev;
}

void interrupt_caller_waits(Socket& s) noexcept {
    for (CallerWait* w = s.caller_waits; w != nullptr; w = w->next)
        w->wait.interrupt(s.fd);
}

void wait_until_no_caller_waits(std::chrono::milliseconds limit) noexcept {
    // Per socket, under its lock: a global count would be one more cache line that every
    // blocking call on every thread writes twice.
    static std::atomic<bool> waiting{false};
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        waiting.store(false, std::memory_order_relaxed);
        socket_table().for_each_in_use([](Socket& s) {
            std::lock_guard lock(s.mutex);
            if (s.caller_waits != nullptr)
                waiting.store(true, std::memory_order_relaxed);
        });
        if (!waiting.load(std::memory_order_relaxed) || std::chrono::steady_clock::now() >= until)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

} // namespace riosp::provider
