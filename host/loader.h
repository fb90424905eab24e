// Loading the provider the way ws2_32 does: dlopen, WSPStartup with the catalog entry and the
// upcall table, a 30-entry proc table check, and WSAStartup/WSACleanup reference counting.
#pragma once

#include <riosp/spi.h>

#include <string>

namespace riosp::host {

// WSAStartup / WSACleanup proper (the API functions forward here).
[[nodiscard]] int startup(WORD version_requested, LPWSADATA data) noexcept;
[[nodiscard]] int cleanup() noexcept;

// The loaded provider's table, or nullptr before WSAStartup / after the last WSACleanup.
// One atomic load: every API call starts with it.
[[nodiscard]] const WSPPROC_TABLE* provider() noexcept;

// Path of the provider module that is (or would be) loaded: $RIOSP_PROVIDER_PATH, else the
// provider installed with the host (libriosp_provider.so.<soversion> in the libdir beside
// libriosp_ws.so, or relative to an executable's bindir), else the build's provider compiled in
// by CMake (docs/install.md).
[[nodiscard]] std::string provider_path();

// Number of entries of t that are NULL (a valid provider has none).
[[nodiscard]] int null_entries(const WSPPROC_TABLE& t) noexcept;

} // namespace riosp::host
