#include "caller_wait.h"

#include <atomic>
#include <thread>

namespace riosp::provider {
namespace {
std::atomic<int> g_waiting{0}; // registered calls, all sockets
} // namespace

void enter_caller_wait(Socket& s, CallerWait& w) noexcept {
    w.prev = nullptr;
    w.next = s.caller_waits;
    if (w.next != nullptr)
        w.next->prev = &w;
    s.caller_waits = &w;
    g_waiting.fetch_add(1, std::memory_order_relaxed);
}

void leave_caller_wait(Socket& s, CallerWait& w) noexcept {
    if (w.prev != nullptr)
        w.prev->next = w.next;
    else
        s.caller_waits = w.next;
    if (w.next != nullptr)
        w.next->prev = w.prev;
    g_waiting.fetch_sub(1, std::memory_order_release);
}

void interrupt_caller_waits(Socket& s) noexcept {
    for (CallerWait* w = s.caller_waits; w != nullptr; w = w->next)
        w->wait.interrupt(s.fd);
}

void wait_until_no_caller_waits(std::chrono::milliseconds limit) noexcept {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (g_waiting.load(std::memory_order_acquire) > 0 &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

} // namespace riosp::provider
