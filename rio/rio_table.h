// The C face of rio/: RIO_EXTENSION_FUNCTION_TABLE with the 13 Windows functions, thin wrappers
// over rio/rio.h. Errors go to the thread-local last error (riosp::rio::last_error()).
//
// Linux specifics: RIOCreateRequestQueue's SOCKET is the native Linux descriptor; RIO_CQ and
// RIO_RQ are generation-checked handles (a closed or made-up RIO_CQ makes RIODequeueCompletion
// return RIO_CORRUPT_CQ instead of touching freed memory). RIOSendEx/RIOReceiveEx: on a UDP
// socket's RQ pRemoteAddress is a SOCKADDR_INET slice (RequestQueue::send_ex / receive_ex; on
// TCP it must be NULL); pLocalAddress and pControlContext must be NULL (WSAEINVAL otherwise);
// pFlags may be NULL or a slice of at least 4 bytes, which gets 0 when the request is posted
// (riosp reports no per-message flags: a truncated datagram completes with WSAEMSGSIZE).
#pragma once

#include <riosp/rio_types.h>

namespace riosp::rio {

[[nodiscard]] const RIO_EXTENSION_FUNCTION_TABLE& function_table() noexcept;

// Windows has no RIOCloseRequestQueue: an RQ dies with its socket. The provider calls this from
// closesocket for RQs made through the table (cancels, then frees; see RequestQueue's dtor).
void close_request_queue(RIO_RQ rq) noexcept;

} // namespace riosp::rio
