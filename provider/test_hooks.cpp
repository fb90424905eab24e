// The test build's hook (test_hooks.h): one function the race tests install through the module's
// export riospTestSetHook, called at every point with the point's number and argument.
#include "test_hooks.h"

#include <riosp/spi.h>

#include <atomic>

namespace riosp::provider {
namespace {

using HookFn = void (*)(int point, std::uintptr_t arg, void* user);
std::atomic<HookFn> g_hook{nullptr};
std::atomic<void*> g_user{nullptr};

} // namespace

void run_test_hook(TestHook point, std::uintptr_t arg) noexcept {
    if (HookFn f = g_hook.load(std::memory_order_acquire))
        f(static_cast<int>(point), arg, g_user.load(std::memory_order_acquire));
}

} // namespace riosp::provider

// `fn` (nullptr: none) is called at every hook point with `user`.
extern "C" RIOSP_EXPORT void riospTestSetHook(void (*fn)(int, std::uintptr_t, void*), void* user) {
    riosp::provider::g_user.store(user, std::memory_order_release);
    riosp::provider::g_hook.store(fn, std::memory_order_release);
}
