// Delivering the result of an application operation. Overlapped ones through WSAOVERLAPPED, in
// the layout Windows documents for non-IFS providers and WPUCompleteOverlappedRequest:
// Internal = WSS_OPERATION_IN_PROGRESS while in flight, OffsetHigh = the WSA error, Offset = the
// flags, InternalHigh = the bytes; then the completion routine as an APC on the caller's thread
// (WPUQueueApc), or ws2_32's WPUCompleteOverlappedRequest (it signals the event and, on real
// Windows, posts to a completion port the application associated with the socket), or, where
// ws2_32 has none (riosp's host, Wine's stub), the event itself. Blocking ones by waking their
// thread.
#pragma once

#include "pending_op.h"

#include <riosp/spi.h>

namespace riosp::provider {

// Marks `ov` pending (Internal = WSS_OPERATION_IN_PROGRESS) before an overlapped call returns.
void mark_pending(LPWSAOVERLAPPED ov) noexcept;

// Publishes an overlapped result and fires its notification. `error` 0 is success.
void complete_overlapped(PendingOp& op, int error, DWORD bytes) noexcept;

// ws2_32's WPUCompleteOverlappedRequest (an export, not an upcall): resolved once by the
// platform (ws2_complete_*.cpp; none on Linux). Tests replace it to see what is reported.
using Ws2CompleteFn = int(WSPAPI*)(SOCKET, LPWSAOVERLAPPED, DWORD, DWORD, LPINT);
[[nodiscard]] Ws2CompleteFn resolve_ws2_complete() noexcept;
void set_ws2_complete_for_testing(Ws2CompleteFn fn) noexcept;

// Overlapped status: WSA_IO_PENDING while in flight, then the operation's WSA error (0).
[[nodiscard]] int overlapped_status(const WSAOVERLAPPED* ov) noexcept;
[[nodiscard]] DWORD overlapped_bytes(const WSAOVERLAPPED* ov) noexcept;
[[nodiscard]] DWORD overlapped_flags(const WSAOVERLAPPED* ov) noexcept;

// Blocks until `ov` is no longer pending (WSPGetOverlappedResult with fWait).
void wait_overlapped(const WSAOVERLAPPED* ov) noexcept;

} // namespace riosp::provider
