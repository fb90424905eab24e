// Blocking calls that wait in their own threads (rio/caller.h) and the close that must end them.
// A receive or accept that found nothing to take registers on its socket before it leaves the
// socket's lock to wait in the kernel; a close (abort_pending) interrupts every registered one.
// The call counts as the socket's outstanding I/O in the state machine meanwhile, so the socket
// is released, and its descriptor closed, only after the call has left the kernel.
#pragma once

#include "socket.h"

#include <chrono>

namespace riosp::provider {

// s.mutex held. Registers `w` before the caller unlocks to wait.
void enter_caller_wait(Socket& s, CallerWait& w) noexcept;
// s.mutex held. Unregisters `w` once the call is back from the kernel (before its io_done).
void leave_caller_wait(Socket& s, CallerWait& w) noexcept;
// s.mutex held. Makes every registered call return (rio::caller::Wait::interrupt).
void interrupt_caller_waits(Socket& s) noexcept;
// The last WSPCleanup, after aborting every socket: waits until the interrupted calls have left
// the provider (at most `limit`), so none touches a socket the worker pool is tearing down.
void wait_until_no_caller_waits(std::chrono::milliseconds limit) noexcept;

} // namespace riosp::provider
