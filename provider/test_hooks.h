// Test-only seams: a race test (tests/provider/provider_race_test.cpp) stops a call at one of
// these points and so forces the interleaving it reproduces, instead of waiting for luck. They
// exist only in the test build of the provider module (riosp_provider_race_hooks, compiled with
// RIOSP_TEST_HOOKS, which exports riospTestSetHook); everywhere else RIOSP_TEST_HOOK expands to
// nothing.
#pragma once

#include <cstdint>

namespace riosp::provider {

enum class TestHook : int {
    lookup = 0,        // a call found its socket, before anything else (arg: the SOCKET)
    adopt = 1,         // WSPSocket / WSPAccept are about to make a socket of a kernel one (arg: 0)
    linger_wait = 2,   // a SO_LINGER {1,n} close is about to wait, its lock held (arg: the SOCKET)
    cleanup_waits = 3, // the last WSPCleanup found calls still inside the provider and waits
    watcher_event = 4, // the watcher took a readiness event, before its socket (arg: the tag)
};

#ifdef RIOSP_TEST_HOOKS
void run_test_hook(TestHook point, std::uintptr_t arg) noexcept;
#define RIOSP_TEST_HOOK(point, arg)                                                                \
    ::riosp::provider::run_test_hook(::riosp::provider::TestHook::point,                           \
                                     static_cast<std::uintptr_t>(arg))
#else
#define RIOSP_TEST_HOOK(point, arg) ((void)0)
#endif

} // namespace riosp::provider
