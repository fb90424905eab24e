// Delivering the result of an application operation: overlapped ones through WSAOVERLAPPED
// (Internal = WSA status, InternalHigh = bytes), then the event or the completion routine (as
// an APC on the caller's thread, via WPUQueueApc); blocking ones by waking their thread.
#pragma once

#include "pending_op.h"

#include <riosp/spi.h>

namespace riosp::provider {

// Allocates the APC records once (first WSPStartup); completion never allocates afterwards.
void init_completions();

// Marks `ov` pending (Internal = WSA_IO_PENDING) before an overlapped call returns.
void mark_pending(LPWSAOVERLAPPED ov) noexcept;

// Publishes an overlapped result and fires its notification. `error` 0 is success.
void complete_overlapped(PendingOp& op, int error, DWORD bytes) noexcept;

// Overlapped status as stored: WSA_IO_PENDING while in flight.
[[nodiscard]] int overlapped_status(const WSAOVERLAPPED* ov) noexcept;
[[nodiscard]] DWORD overlapped_bytes(const WSAOVERLAPPED* ov) noexcept;
[[nodiscard]] DWORD overlapped_flags(const WSAOVERLAPPED* ov) noexcept;

// Blocks until `ov` is no longer pending (WSPGetOverlappedResult with fWait).
void wait_overlapped(const WSAOVERLAPPED* ov) noexcept;

} // namespace riosp::provider
