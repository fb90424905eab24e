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

} // namespace riosp::rio::win
