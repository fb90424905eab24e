// Test-only: built into riosp_provider_native_double.dll, never into riosp_provider.dll. Wine
// has no RIO, and a test exe cannot reach the provider DLL's own copy of rio to put a double
// behind the native backend (as tests/rio/native_rio_double_win.cpp does in-process); so this
// DLL installs it itself when it loads. riosp's own table (rio/core/rio_table.cpp), bound to the
// overlapped backend so that its CQs never stand on themselves, then serves
// RIOSP_RIO_BACKEND=native; on Windows 8+ the system's table is used instead.
#include <rio/rio_table.h>
#include <rio/rio_testing.h>

namespace {

// A static initializer runs in DllMain, under the loader lock: it only names the double, and
// the seam probes for the system's table (Winsock) on first use.
[[maybe_unused]] const bool g_installed = [] {
    riosp::rio::testing::use_native_rio_table_where_missing(
        &riosp::rio::testing::function_table_on(riosp::rio::Backend::overlapped),
        riosp::rio::close_request_queue);
    return true;
}();

} // namespace
