// The RIO table double of the Windows test build. Wine has no RIO, so without it every
// .../native instance would skip and the native backend (rio/win/backend_native_win.cpp) would
// never run. Where the system has no RIO table, riosp's own table (rio/core/rio_table.cpp),
// which keeps every RIO rule these suites test, is put behind the native backend's one seam
// (rio::testing::use_native_rio_table). It is bound to the overlapped backend explicitly: its
// CQs must not be native ones (they would stand on themselves), whatever active_backend() says.
// On Windows 8+ the system's table stays, and the .../native instances test the real RIO.
#include <rio/rio_table.h>
#include <rio/rio_testing.h>
#include <rio/win/native_rio_win.h>

#include <gtest/gtest.h>

namespace {

class NativeRioDouble : public ::testing::Environment {
public:
    void SetUp() override {
        if (riosp::rio::win::native_rio().available)
            return;
        riosp::rio::testing::use_native_rio_table(
            &riosp::rio::testing::function_table_on(riosp::rio::Backend::overlapped),
            riosp::rio::close_request_queue);
    }
};

// Registered before main: the environment is set up by RUN_ALL_TESTS, before any test (and
// any fixture's backend_available check) runs.
[[maybe_unused]] ::testing::Environment* const g_double =
    ::testing::AddGlobalTestEnvironment(new NativeRioDouble);

} // namespace
