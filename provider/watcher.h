// Readiness for sockets that are not on the RIO rings yet: FD_ACCEPT for listening sockets and
// connect completion (FD_CONNECT, FD_WRITE) for non-blocking connects. One thread for the
// whole provider, started with the worker pool.
#pragma once

#include <rio/net.h>

#include <atomic>
#include <thread>

namespace riosp::provider {

struct Socket;

class Watcher {
public:
    [[nodiscard]] int start() noexcept;
    void stop() noexcept;
    // Arms one notification for `s` (listening: readable; connecting: writable). Caller holds
    // the socket's mutex.
    void watch(Socket& s) noexcept;

private:
    void run() noexcept;
    rio::net::Poller poller_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
};

[[nodiscard]] Watcher& watcher() noexcept;

// Re-enables FD_ACCEPT on a listener whose application selected it (caller holds the listener's
// mutex): raised at once while the listener holds a connection an accept left it, otherwise
// armed for the kernel's next one.
void rearm_fd_accept(Socket& l) noexcept;

} // namespace riosp::provider
