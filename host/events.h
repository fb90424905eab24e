// Manual-reset event objects (WSACreateEvent / WPUCreateEvent) as eventfd descriptors.
//
// Why eventfd: a set is one write, a wait is poll() on any mix of events (and the thread's APC
// wake-up descriptor), and a wait never consumes the signal, which is exactly manual-reset:
// only WSAResetEvent (a read that drains the counter) unsignals. Handles are encoded with
// riosp/event_handle.h so rio/ can signal the same events.
//
// The host registers every event it creates; set/reset/wait/close on anything else (a stale or
// foreign handle) answers WSA_INVALID_HANDLE instead of writing into an unrelated descriptor.
#pragma once

#include <riosp/spi.h>

#include <span>

namespace riosp::host {

[[nodiscard]] WSAEVENT event_create(int& error) noexcept;
[[nodiscard]] bool event_close(WSAEVENT event, int& error) noexcept;
[[nodiscard]] bool event_set(WSAEVENT event, int& error) noexcept;
[[nodiscard]] bool event_reset(WSAEVENT event, int& error) noexcept;
// The descriptor of a registered event, or -1.
[[nodiscard]] int event_fd(WSAEVENT event) noexcept;

// WSAWaitForMultipleEvents without the initialisation check: WSA_WAIT_EVENT_0 + i,
// WSA_WAIT_TIMEOUT, WSA_WAIT_IO_COMPLETION (alertable, after running the thread's APCs) or
// WSA_WAIT_FAILED with error set.
[[nodiscard]] DWORD wait_for_events(std::span<const WSAEVENT> events, bool wait_all,
                                    DWORD timeout_ms, bool alertable, int& error) noexcept;

// SleepEx: 0 after the timeout, WAIT_IO_COMPLETION when alertable and APCs ran.
[[nodiscard]] DWORD sleep_ex(DWORD timeout_ms, bool alertable) noexcept;

} // namespace riosp::host
