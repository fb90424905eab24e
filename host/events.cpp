// Event objects and waits (see events.h).
#include "host/events.h"

#include "host/apc.h"
#include "host/os.h"

#include <riosp/event_handle.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <mutex>
#include <thread>

#include <gsl/gsl>

namespace riosp::host {

namespace {

// Registry of live event descriptors: one bit per fd, atomic so that set/reset/wait check it
// without a lock (WPUSetEvent runs on every overlapped completion). 2^20 covers the largest
// RLIMIT_NOFILE a default Linux allows; descriptors above it cannot be events.
constexpr int max_event_fd = 1 << 20;
std::array<std::atomic<std::uint64_t>, max_event_fd / 64> registered{};

bool is_registered(int fd) noexcept {
    if (fd < 0 || fd >= max_event_fd)
        return false;
    const auto bit = std::uint64_t{1} << (fd % 64);
    return (registered[gsl::narrow_cast<std::size_t>(fd / 64)].load(std::memory_order_acquire) &
            bit) != 0;
}

void mark(int fd, bool on) noexcept {
    const auto bit = std::uint64_t{1} << (fd % 64);
    auto& word = registered[gsl::narrow_cast<std::size_t>(fd / 64)];
    if (on)
        word.fetch_or(bit, std::memory_order_release);
    else
        word.fetch_and(~bit, std::memory_order_release);
}

// A close and a set (or reset) of one event never overlap: without this a set that looked the
// descriptor up just before a close could write to the number after the kernel handed it to a
// new descriptor (an application may close its event the moment a wait says it is signalled,
// while the completing thread is still leaving its write). Striped, so that sets of different
// events rarely meet.
std::array<std::mutex, 64> fd_locks;
std::mutex& fd_lock(int fd) noexcept {
    return fd_locks[gsl::narrow_cast<std::size_t>(fd) % fd_locks.size()];
}

using clock = std::chrono::steady_clock;

// Milliseconds left until deadline for poll(): -1 for INFINITE, never more than INT_MAX.
int remaining_ms(bool infinite, clock::time_point deadline) noexcept {
    if (infinite)
        return -1;
    const auto now = clock::now();
    if (now >= deadline)
        return 0;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

} // namespace

WSAEVENT event_create(int& error) noexcept {
    const int fd = os::eventfd_create();
    if (fd < 0) {
        error = (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM) ? WSA_NOT_ENOUGH_MEMORY
                                                                  : WSASYSCALLFAILURE;
        return WSA_INVALID_EVENT;
    }
    if (fd >= max_event_fd) {
        (void)os::close_fd(fd);
        error = WSA_NOT_ENOUGH_MEMORY;
        return WSA_INVALID_EVENT;
    }
    mark(fd, true);
    return event_handle_from_fd(fd);
}

int event_fd(WSAEVENT event) noexcept {
    const int fd = fd_from_event_handle(event);
    return is_registered(fd) ? fd : -1;
}

bool event_close(WSAEVENT event, int& error) noexcept {
    const int fd = fd_from_event_handle(event);
    if (fd < 0 || fd >= max_event_fd) {
        error = WSA_INVALID_HANDLE;
        return false;
    }
    std::lock_guard lock(fd_lock(fd));
    // Unregister first: a racing second close then fails cleanly instead of closing a
    // descriptor number the kernel may already have handed to someone else.
    const auto bit = std::uint64_t{1} << (fd % 64);
    const auto before = registered[gsl::narrow_cast<std::size_t>(fd / 64)].fetch_and(
        ~bit, std::memory_order_acq_rel);
    if ((before & bit) == 0) {
        error = WSA_INVALID_HANDLE;
        return false;
    }
    (void)os::close_fd(fd);
    return true;
}

namespace {
// `op` on a live event's descriptor, under its lock (see fd_lock): true, or false with
// WSA_INVALID_HANDLE.
template <class Op> bool on_live_event(WSAEVENT event, int& error, Op op) noexcept {
    const int fd = fd_from_event_handle(event);
    if (fd >= 0 && fd < max_event_fd) {
        std::lock_guard lock(fd_lock(fd));
        if (is_registered(fd) && op(fd) == 0)
            return true;
    }
    error = WSA_INVALID_HANDLE;
    return false;
}
} // namespace

bool event_set(WSAEVENT event, int& error) noexcept {
    return on_live_event(event, error, os::eventfd_signal);
}

bool event_reset(WSAEVENT event, int& error) noexcept {
    return on_live_event(event, error, os::eventfd_drain);
}

DWORD wait_for_events(std::span<const WSAEVENT> events, bool wait_all, DWORD timeout_ms,
                      bool alertable, int& error) noexcept {
    if (events.empty() || events.size() > WSA_MAXIMUM_WAIT_EVENTS) {
        error = WSA_INVALID_PARAMETER;
        return WSA_WAIT_FAILED;
    }
    std::array<os::PollEntry, WSA_MAXIMUM_WAIT_EVENTS + 1> snapshot{};
    std::array<os::PollEntry, WSA_MAXIMUM_WAIT_EVENTS + 1> waiting{};
    for (std::size_t i = 0; i < events.size(); ++i) {
        snapshot[i].fd = event_fd(events[i]);
        if (snapshot[i].fd < 0) {
            error = WSA_INVALID_HANDLE;
            return WSA_WAIT_FAILED;
        }
    }
    const int apc_fd = alertable ? current_thread_apc_fd() : -1;
    const bool infinite = timeout_ms == WSA_INFINITE;
    const auto deadline = clock::now() + std::chrono::milliseconds(infinite ? 0 : timeout_ms);
    const std::span<os::PollEntry> all{snapshot.data(), events.size()};

    for (;;) {
        // Queued APCs win over signalled events, as in an alertable Windows wait.
        if (alertable && run_current_thread_apcs() > 0)
            return WSA_WAIT_IO_COMPLETION;
        // Snapshot every event without blocking; the wait itself never consumes a signal.
        const int ready = os::poll_readable(all, 0);
        if (ready < 0 && ready != -EINTR) {
            error = WSA_INVALID_HANDLE;
            return WSA_WAIT_FAILED;
        }
        std::size_t signalled = 0;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i].invalid) { // closed while we waited
                error = WSA_INVALID_HANDLE;
                return WSA_WAIT_FAILED;
            }
            if (all[i].ready) {
                if (!wait_all)
                    return WSA_WAIT_EVENT_0 + static_cast<DWORD>(i); // lowest signalled index
                ++signalled;
            }
        }
        if (wait_all && signalled == all.size())
            return WSA_WAIT_EVENT_0;
        const int left = remaining_ms(infinite, deadline);
        if (left == 0)
            return WSA_WAIT_TIMEOUT;
        // Block on what is not signalled yet (wait-all: an event set earlier may be reset
        // meanwhile, which the next snapshot sees) plus the APC wake-up descriptor.
        std::size_t n = 0;
        for (const auto& e : all)
            if (!e.ready)
                waiting[n++] = os::PollEntry{e.fd};
        if (apc_fd >= 0)
            waiting[n++] = os::PollEntry{apc_fd};
        const int rc = os::poll_readable(std::span{waiting.data(), n}, left);
        if (rc < 0 && rc != -EINTR) {
            error = WSA_INVALID_HANDLE;
            return WSA_WAIT_FAILED;
        }
    }
}

DWORD sleep_ex(DWORD timeout_ms, bool alertable) noexcept {
    const bool infinite = timeout_ms == INFINITE;
    if (!alertable) {
        if (infinite)
            for (;;)
                std::this_thread::sleep_for(std::chrono::hours(24));
        std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return 0;
    }
    const int apc_fd = current_thread_apc_fd();
    const auto deadline = clock::now() + std::chrono::milliseconds(infinite ? 0 : timeout_ms);
    for (;;) {
        if (run_current_thread_apcs() > 0)
            return WSA_WAIT_IO_COMPLETION; // WAIT_IO_COMPLETION has the same value (0xC0)
        const int left = remaining_ms(infinite, deadline);
        if (left == 0)
            return 0;
        std::array<os::PollEntry, 1> entry{os::PollEntry{apc_fd}};
        (void)os::poll_readable(entry, left);
    }
}

} // namespace riosp::host
