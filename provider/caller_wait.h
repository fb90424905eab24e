// Blocking calls that wait in their own threads (rio/caller.h) and the close that must end them.
// A receive, accept or connect that has to wait is counted as the socket's outstanding I/O in
// the state machine (so the socket is released, and its descriptor closed, only after the call
// has left the kernel) and in `callers`; it leaves the socket's lock and waits with the socket's
// one rio::caller::Wait, which a close (abort_pending) interrupts for every caller at once. The
// common outcome, bytes received, is applied without taking the lock again.
#pragma once

#include "data_path.h"
#include "provider_state.h"
#include "selectors.h"
#include "socket.h"
#include "worker.h"

#include <chrono>

namespace riosp::provider {

// A blocking call waiting in its own thread counts itself in `callers` (a socket with one is busy:
// its data path cannot be handed to an application's RIO request queue, extensions.cpp), from
// before it is counted in the state machine (or under the lock it is counted with) ...
inline void enter_caller_wait(Socket& s) noexcept {
    s.callers.fetch_add(1, std::memory_order_relaxed);
}
// ... until it has applied its io_done and performed its actions.
inline void leave_caller_wait(Socket& s) noexcept {
    s.callers.fetch_sub(1, std::memory_order_release);
}
// s.mutex held: ends every wait on the socket, and makes later ones end at once.
inline void interrupt_caller_waits(Socket& s) noexcept {
    s.wait.interrupt(s.fd);
}
// s.mutex held, before a ring receive is posted: false when no receive waits in its own thread
// on `s`; otherwise true, and the last of those starts the ring receive as it leaves
// (leave_receive_wait). Receives complete in the order they were issued, as Windows' driver
// queues them: with a ring receive beside a receive waiting in the kernel, the kernel would hand
// the next bytes to whichever wait it happens to wake first. The flag is set in the same word as
// the count, so a receive leaving without the lock either sees it or had left before it was set.
[[nodiscard]] inline bool defer_to_caller_receives(Socket& s) noexcept {
    int now = s.callers.load(std::memory_order_relaxed);
    while ((now & caller_count) != 0) {
        if ((now & callers_followed) != 0 ||
            s.callers.compare_exchange_weak(now, now | callers_followed, std::memory_order_acq_rel,
                                            std::memory_order_relaxed))
            return true;
    }
    return false;
}
// A receive's leave_caller_wait: the last receive out with receives waiting behind it
// (defer_to_caller_receives) takes the lock, leaves, and starts them; the others leave as
// leave_caller_wait does, without the lock. The leaving and the start happen under the lock, so
// the last WSPCleanup, which closes the socket under its lock before it waits for the count,
// cannot tear the socket down in between.
// A select that left the kernel's readiness to this receive (select does not count bytes a waiting
// receive will take) looks again once it is gone: one load when nobody selects (selectors.h).
inline void leave_receive_wait(Socket& s, SocketLock& lock) noexcept {
    int now = s.callers.load(std::memory_order_relaxed);
    while ((now & (caller_count | callers_followed)) != (1 | callers_followed)) {
        if (s.callers.compare_exchange_weak(now, now - 1, std::memory_order_release,
                                            std::memory_order_relaxed)) {
            wake_selectors(s);
            return;
        }
    }
    if (!lock.owns_lock())
        lock.lock();
    s.callers.fetch_sub(1 | callers_followed, std::memory_order_release); // only ours to clear
    pump_receive(s);
    wake_selectors(s);
}
// A receive waited for in the calling thread itself (rio/caller.h), counted as the socket's
// outstanding I/O (the caller has applied begin_recv under `lock`): `wait(fd, spin, error)` runs
// without the lock and answers true when it got its result (bytes, a datagram); `failed(error)`
// then runs under the lock for any other outcome and answers the call's error. The common
// outcome is taken without the lock: io_done asks for something (the release) only after a
// close, and then the lock is taken for it. Receives issued while it waits queue behind it
// (defer_to_caller_receives). The call's error (0 on success).
template <class Wait, class Failed>
[[nodiscard]] int receive_in_caller_wait(Socket& s, SocketLock& lock, Wait wait,
                                         Failed failed) noexcept {
    enter_caller_wait(s);
    const rio::net::NativeSocket fd = s.fd; // open until this call's io_done
    const auto spin = worker_pool().spin();
    lock.unlock();
    int error = 0;
    if (wait(fd, spin, error)) {
        if (!s.state.apply_quiet(HalfCloseEvent::io_done)) {
            lock.lock(); // a close came meanwhile: the release is this call's to perform
            apply_and_act(s, HalfCloseEvent::io_done);
        }
    } else {
        lock.lock();
        error = failed(error);
        apply_and_act(s, HalfCloseEvent::io_done);
    }
    leave_receive_wait(s, lock);
    return error;
}

// The last WSPCleanup, after aborting every socket: waits until every call that holds a socket
// (lookup's SocketRef: blocked calls the aborts interrupted, lingering closes they woke, calls
// that found their socket closed) has left the provider, at most `limit`, so that none uses the
// watcher or a worker after they stop. Only a call inside the application's own code (an accept
// condition function) can outlast it; such a call uses neither afterwards.
void wait_until_no_calls_inside(std::chrono::milliseconds limit) noexcept;

} // namespace riosp::provider
