// What the send and receive entry points share, for streams (wsp_data.cpp) and datagrams
// (wsp_datagram.cpp): the call's parameters, their checks, and the two ways a call ends once it
// could not finish at once (a blocking caller waits for its queued op; an op that finished inside
// the call still reports through its overlapped structure).
#pragma once

#include "data_path.h"
#include "pending_op.h"
#include "socket.h"

#include <riosp/spi.h>

namespace riosp::provider {

struct Call {
    LPWSABUF buffers;
    DWORD count;
    LPDWORD bytes_out;
    DWORD flags; // a receive's: the MSG_PEEK / MSG_WAITALL it honours
    LPWSAOVERLAPPED ov;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
    LPWSATHREADID thread;
};

// 0, or the error of a malformed buffer array, found at the call as Windows finds it: WSAEFAULT
// for a NULL array with buffers in it or a buffer with a length and no address, WSAENOBUFS for
// more than max_wsabufs. `total`: the buffers' lengths, summed without wrapping. (Whether their
// memory can be used is the kernel's to say, or app_bytes_readable's where riosp copies.)
[[nodiscard]] int check_buffers(const Call& c, std::uint64_t& total) noexcept;
// How a receive with these flags (Call::flags, PendingOp::flags) takes its bytes or datagram
// from the kernel: MSG_PEEK leaves them there.
[[nodiscard]] inline rio::net::Receive kernel_receive(DWORD flags) noexcept {
    return (flags & MSG_PEEK) != 0 ? rio::net::Receive::peek : rio::net::Receive::take;
}
// Fills the op for this (checked) call.
void fill(PendingOp& op, const Call& c) noexcept;
// Blocks the calling thread until a worker (or close) completes its queued op: 0 or SOCKET_ERROR.
[[nodiscard]] int wait_blocking(Socket& s, PendingOp& queued, SocketLock& lock, const Call& c,
                                LPINT lpErrno) noexcept;
// The result of an op that finished inside the call (no waiting was needed): `error`.
[[nodiscard]] int finished_now(PendingOp& op, const Call& c, int error) noexcept;

} // namespace riosp::provider
