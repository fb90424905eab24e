// Per-thread APC queues behind WPUOpenCurrentThread / WPUCloseThread / WPUQueueApc.
//
// Why: a provider completes an overlapped operation that carries a completion routine by
// queueing an APC to the thread that issued it; Windows runs that APC only when the thread
// enters an alertable wait. Each thread that asks for its WSATHREADID gets a record with a
// queue and an eventfd that alertable waits poll, so queueing from a worker wakes the waiter.
//
// Records live in a fixed arena and are recycled with a new generation when their thread
// exits, so a WSATHREADID that outlives its thread is recognised as stale (WSAEINVAL) instead
// of pointing at freed memory or at another thread.
#pragma once

#include <riosp/spi.h>

#include <cstddef>

namespace riosp::host {

// WPUOpenCurrentThread: the calling thread's id (the record is bound to the thread on first
// use and released when the thread exits; the id stays valid until then).
[[nodiscard]] bool open_current_thread(WSATHREADID& id, int& error) noexcept;
// WPUCloseThread: validates the id. The record belongs to its thread, not to the id.
[[nodiscard]] bool close_thread(const WSATHREADID& id, int& error) noexcept;
// WPUQueueApc: WSAEINVAL for an id whose thread has exited or that was never issued.
[[nodiscard]] bool queue_apc(const WSATHREADID& id, LPWSAUSERAPC routine, DWORD_PTR context,
                             int& error) noexcept;

// The calling thread's wake-up descriptor (readable while APCs are queued), binding the
// thread if needed; -1 if no record could be made.
[[nodiscard]] int current_thread_apc_fd() noexcept;
// Runs every APC queued to the calling thread, in queue order, outside any lock. Returns how
// many ran.
std::size_t run_current_thread_apcs() noexcept;

inline constexpr std::size_t max_apc_threads = 4096;

} // namespace riosp::host
