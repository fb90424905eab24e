// Windows only: is Registered I/O there? The function table is fetched once per process with
// WSAIoctl(SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, WSAID_MULTIPLE_RIO) on a socket of the
// provider underneath riosp, created with WSA_FLAG_REGISTERED_IO. Windows 8 / Server 2012 and
// later answer with the 13 functions; older Windows and Wine fail (Wine: WSAEOPNOTSUPP), and
// rio then runs on the overlapped fallback. backend_native_win.cpp drives the table (opt-in:
// RIOSP_RIO_BACKEND=native).
#pragma once

#include <riosp/rio_types.h>

#include <string>

namespace riosp::rio::win {

struct NativeRioProbe {
    bool available = false;
    bool forced_off = false; // RIOSP_RIO_BACKEND=overlapped
    const char* step = "";   // what failed: "WSAStartup", "WSASocketW", "WSAIoctl"
    int error = 0;           // its WSA code
    RIO_EXTENSION_FUNCTION_TABLE table{};
};

// Probes now (no caching, no log line). forced_off skips the probe.
[[nodiscard]] NativeRioProbe probe_native_rio(bool forced_off) noexcept;
// The process's answer: probed at first call (RIOSP_RIO_BACKEND=overlapped forces the
// fallback). rio's backend choice prints the line that says which backend and why.
[[nodiscard]] const NativeRioProbe& native_rio() noexcept;
// That line, e.g. "riosp: rio backend overlapped (native RIO unavailable: WSAIoctl(
// SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, WSAID_MULTIPLE_RIO) failed with 10045
// WSAEOPNOTSUPP - Wine, or Windows before 8 / Server 2012)": a code is named by riosp/wsa_codes.h.
[[nodiscard]] std::string describe(const NativeRioProbe& probe);

// THE seam: the one place the native backend gets its table from. The system's (native_rio()),
// unless a test put a double in its place (rio::testing::use_native_rio_table: under Wine, which
// has no RIO, riosp's own table over the overlapped backend); nullptr when there is neither.
[[nodiscard]] const RIO_EXTENSION_FUNCTION_TABLE* native_rio_table() noexcept;
// Whether that table is a test's double (the backend choice says so in its line).
[[nodiscard]] bool native_rio_is_double() noexcept;
// What stands in for the socket's closing, which is how the system frees a RIO_RQ (the table
// has no RIOCloseRequestQueue): nullptr for the system; a double is given the function that
// frees its RQs, called when rio lets go of one.
using CloseRequestQueue = void (*)(RIO_RQ) noexcept;
[[nodiscard]] CloseRequestQueue native_rio_close_request_queue() noexcept;

} // namespace riosp::rio::win
