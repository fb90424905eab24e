// provider/wsp_call.h.
#include "wsp_call.h"

#include "completion.h"
#include "provider_state.h"
#include "worker.h"
#include "wsp.h"

#include <chrono>

namespace riosp::provider {

// 0, or the error of a malformed buffer array.
int check_buffers(const Call& c, std::uint64_t& total) noexcept {
    total = 0;
    if (c.buffers == nullptr && c.count > 0)
        return WSAEFAULT;
    if (c.count > max_wsabufs)
        return WSAENOBUFS; // Windows copies the array too; riosp takes at most this many
    for (const WSABUF& b : std::span(c.buffers, c.count)) {
        if (b.buf == nullptr && b.len > 0)
            return WSAEFAULT;
        total += b.len;
    }
    return 0;
}

// Fills the op for this (checked) call.
void fill(PendingOp& op, const Call& c) noexcept {
    (void)capture_buffers(op, c.buffers, c.count);
    op.flags = c.flags;
    op.overlapped = c.ov != nullptr;
    op.ov = c.ov;
    op.routine = c.routine;
    if (c.thread != nullptr)
        op.thread = *c.thread;
}

// Blocks the calling thread until a worker (or close) completes its queued op.
int wait_blocking(Socket& s, PendingOp& queued, SocketLock& lock, const Call& c,
                  LPINT lpErrno) noexcept {
    PendingOp::Waiter waiter;
    queued.waiter = &waiter;
    if (const auto spin = worker_pool().spin(); spin.count() > 0) {
        // Busy-poll mode: the worker spins on its completion queue, so spin here too before
        // sleeping; then handing the result over is a store, not a futex wake-up of this
        // thread. Opt-in, as it costs this core for up to `spin` per call.
        lock.unlock();
        const auto until = std::chrono::steady_clock::now() + spin;
        while (!waiter.done.load(std::memory_order_acquire) &&
               std::chrono::steady_clock::now() < until) {
        }
        lock.lock();
    }
    s.cv.wait(lock, [&] { return waiter.done.load(std::memory_order_relaxed); });
    if (c.bytes_out != nullptr)
        *c.bytes_out = waiter.bytes;
    return waiter.error == 0 ? 0 : fail(lpErrno, waiter.error);
}

// The result of an op that finished inside the call (no waiting was needed).
int finished_now(PendingOp& op, const Call& c, int error) noexcept {
    if (c.bytes_out != nullptr)
        *c.bytes_out = op.transferred;
    if (op.overlapped) // Windows still signals the event / queues the routine
        complete_overlapped(op, error, op.transferred);
    return error;
}

} // namespace riosp::provider
