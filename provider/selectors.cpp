#include "selectors.h"

#include "socket.h"

#include <algorithm>
#include <memory>
#include <mutex>

namespace riosp::provider {
namespace {

// Taken by a select twice per call (take, give back) and by a waker only while some select
// watches the socket it changed; never while a select holds a socket's lock (a waker may hold
// one: a socket's lock, then this one).
std::mutex g_mutex;
std::vector<std::unique_ptr<SelectWaiter>> g_idle; // guarded by g_mutex
std::vector<SelectWaiter*> g_waiting;              // guarded by g_mutex

} // namespace

SelectWaiter* take_select_waiter() noexcept {
    std::lock_guard lock(g_mutex);
    try {
        g_waiting.reserve(g_waiting.size() + 1); // the push_back below cannot throw then
        std::unique_ptr<SelectWaiter> w;
        if (!g_idle.empty()) {
            w = std::move(g_idle.back());
            g_idle.pop_back();
        } else {
            w = std::make_unique<SelectWaiter>();
            if (w->wait.open() != 0)
                return nullptr;
        }
        g_waiting.push_back(w.release());
        return g_waiting.back();
    } catch (...) {
        return nullptr;
    }
}

void give_back(SelectWaiter& w) noexcept {
    for (Socket* s : w.counted)
        s->selects.fetch_sub(1, std::memory_order_relaxed);
    w.counted.clear();
    std::lock_guard lock(g_mutex);
    const auto it = std::find(g_waiting.begin(), g_waiting.end(), &w);
    *it = g_waiting.back();
    g_waiting.pop_back();
    try {
        g_idle.emplace_back(&w);
    } catch (...) { // no room to keep it: it goes
        delete &w;
    }
}

void wake_selectors(const Socket& s) noexcept {
    // seq_cst: pairs with the select's raise of the count before it looks at the socket (under
    // the socket's lock): either that look sees this change, or this load sees the count.
    if (s.selects.load(std::memory_order_seq_cst) == 0)
        return;
    std::lock_guard lock(g_mutex);
    for (SelectWaiter* w : g_waiting)
        w->wait.wake();
}

} // namespace riosp::provider
