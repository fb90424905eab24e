// Process-wide provider state: the startup reference count, the socket table and the worker
// pool, and handle lookup for the entry points.
#pragma once

#include "socket_table.h"

#include <riosp/spi.h>

namespace riosp::provider {

struct Socket;
class WorkerPool;

[[nodiscard]] SocketTable& socket_table() noexcept;
[[nodiscard]] WorkerPool& worker_pool() noexcept;
// True between the first WSPStartup and the last WSPCleanup.
[[nodiscard]] bool started() noexcept;

// WSPStartup's work; returns 0 or the WSA error WSPStartup returns.
[[nodiscard]] int startup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                          LPWSAPROTOCOL_INFOW lpProtocolInfo, const WSPUPCALLTABLE& UpcallTable,
                          LPWSPPROC_TABLE lpProcTable) noexcept;

// The live socket behind an application handle, or nullptr with *err = WSAENOTSOCK (closed,
// never ours, or garbage) / WSANOTINITIALISED. Lock-free: one upcall and one table read.
[[nodiscard]] Socket* lookup(SOCKET s, LPINT err) noexcept;

} // namespace riosp::provider
