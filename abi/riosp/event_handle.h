// How a Linux event descriptor travels in a Windows HANDLE.
//
// Why: RIO_NOTIFICATION_COMPLETION carries its event as a HANDLE. On Linux the event is an
// eventfd; the descriptor is stored as fd + 1 so that descriptor 0 is not the null handle
// (NULL means "no event" everywhere in Win32). Header-only so that rio/, the provider and the
// host share one encoding without a link dependency.
#pragma once

#ifdef _WIN32
#include <windows.h>
#else
#include "wintypes.h"
#endif

#include <cstdint>

namespace riosp {

[[nodiscard]] inline HANDLE event_handle_from_fd(int fd) noexcept {
    if (fd < 0)
        return nullptr;
    return reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(fd) + 1U);
}

// -1 for the null handle (or any value that cannot be an encoded descriptor).
[[nodiscard]] inline int fd_from_event_handle(HANDLE handle) noexcept {
    const auto raw = reinterpret_cast<std::uintptr_t>(handle);
    if (raw == 0 || raw > static_cast<std::uintptr_t>(INT32_MAX) + 1U)
        return -1;
    return static_cast<int>(raw - 1U);
}

} // namespace riosp
