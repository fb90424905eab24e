// Process-wide provider state: the startup reference count, the socket table and the worker
// pool, and handle lookup for the entry points.
#pragma once

#include "socket_table.h"

#include <riosp/spi.h>

#include <atomic>

namespace riosp::provider {

struct Socket;
class WorkerPool;

namespace detail { // lifecycle.cpp; reached through the accessors below
extern SocketTable socket_table;
extern WorkerPool worker_pool;
extern std::atomic<bool> started;
} // namespace detail

[[nodiscard]] inline SocketTable& socket_table() noexcept {
    return detail::socket_table;
}
[[nodiscard]] inline WorkerPool& worker_pool() noexcept {
    return detail::worker_pool;
}
// True between the first WSPStartup and the last WSPCleanup.
[[nodiscard]] inline bool started() noexcept {
    return detail::started.load(std::memory_order_acquire);
}

// WSPStartup's work; returns 0 or the WSA error WSPStartup returns.
[[nodiscard]] int startup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                          LPWSAPROTOCOL_INFOW lpProtocolInfo, const WSPUPCALLTABLE& UpcallTable,
                          LPWSPPROC_TABLE lpProcTable) noexcept;

// The live socket behind an application handle, or nullptr with *err = WSAENOTSOCK (closed,
// never ours, or garbage) / WSANOTINITIALISED. Lock-free: one upcall and one table read.
[[nodiscard]] Socket* lookup(SOCKET s, LPINT err) noexcept;

} // namespace riosp::provider
