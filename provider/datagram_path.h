// The data path of a datagram (UDP) socket: one datagram per send and per receive, message
// boundaries kept. Calls finish in the caller's thread when the kernel can take or give a
// datagram at once (a blocking receive waits in its own thread, as a stream's does); only what
// must wait goes through the socket's RIO request queue, one datagram at a time per direction:
// a RIOSendEx from the send area (the datagram copied there, so the application's send is done),
// a RIOReceiveEx into the receive area (while receives wait, or while the application selected
// FD_READ). All functions expect the socket's mutex to be held.
#pragma once

#include "data_path.h"
#include "wsp_call.h"

namespace riosp::provider {

// WSPSend / WSPSendTo on a datagram socket (lookup done, lock not taken): `to` nullptr for
// WSPSend. 0 or SOCKET_ERROR with *lpErrno.
[[nodiscard]] int datagram_send(Socket& s, SOCKET handle, const Call& c, const sockaddr* to,
                                int to_len, LPINT lpErrno) noexcept;
// WSPRecv / WSPRecvFrom on a datagram socket: the source into from / *from_len when given.
[[nodiscard]] int datagram_recv(Socket& s, SOCKET handle, const Call& c, sockaddr* from,
                                LPINT from_len, LPDWORD flags_io, LPINT lpErrno) noexcept;
// WSPConnect on a datagram socket: sets the default peer, or, for the unspecified address,
// dissolves it. 0 or a WSA error.
[[nodiscard]] int datagram_connect(Socket& s, const sockaddr* name, int name_len) noexcept;

// Posts the next RIO receive if a receive waits (or FD_READ is selected) and none is in flight.
void pump_datagram_recv(Socket& s) noexcept;
// Worker side: one RIO completion of a datagram socket.
void on_datagram_send_completion(Socket& s, int status) noexcept;
void on_datagram_recv_completion(Socket& s, int status, DWORD bytes) noexcept;

// Readiness for select: a datagram the ring took in is held (true); otherwise `ask_kernel` says
// whether the kernel's queue decides (no ring receive is in flight or wanted, which would take
// the kernel's next datagram itself and make the socket readable through a worker).
[[nodiscard]] bool datagram_readable(const Socket& s, bool& ask_kernel) noexcept;
// FIONREAD: the size of the next datagram (0 when none is queued).
[[nodiscard]] int datagram_readable_bytes(Socket& s, int& bytes) noexcept;

} // namespace riosp::provider
