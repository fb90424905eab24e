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

// The live socket behind an application handle, or nullptr with *err = WSAENOTSOCK (closed,
// never ours, or garbage) / WSANOTINITIALISED. Lock-free: one upcall and one table read.
[[nodiscard]] Socket* lookup(SOCKET s, LPINT err) noexcept;

} // namespace riosp::provider
