// The peer's loops over one platform's primitives (bsd_peer_os.h): reading to the end, exact
// reads, whole sends. The sockets themselves are bsd_peer_posix.cpp's or bsd_peer_win.cpp's.
#include "bsd_peer.h"
#include "bsd_peer_os.h"

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace riosp::test {

int bsd_read_to_end(int fd, std::string& out, int timeout_ms) {
    static const std::atomic<bool> never{false};
    return bsd_read_to_end_or_reset(fd, out, timeout_ms, never);
}

int bsd_read_to_end_or_reset(int fd, std::string& out, int timeout_ms,
                             const std::atomic<bool>& reset) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool reset_done = false;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        if (!reset_done && reset.load(std::memory_order_acquire)) {
            bsd_reset(fd);
            reset_done = true;
        }
        if (peer_wait_in(fd, 10) <= 0)
            continue;
        const long n = peer_recv_once(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0)
            return static_cast<int>(-n);
        out.append(buf, static_cast<std::size_t>(n));
    }
    return ETIMEDOUT;
}

int bsd_drain_to_eof(int fd, int timeout_ms) {
    char buf[4096];
    for (;;) {
        if (peer_wait_in(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const long n = peer_recv_once(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0)
            return static_cast<int>(-n);
    }
}

int bsd_read_exact(int fd, std::string& out, std::size_t n, int timeout_ms) {
    char buf[4096];
    while (out.size() < n) {
        if (peer_wait_in(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const long got = peer_recv_once(fd, buf, std::min(sizeof buf, n - out.size()));
        if (got == 0)
            return EPIPE;
        if (got < 0)
            return static_cast<int>(-got);
        out.append(buf, static_cast<std::size_t>(got));
    }
    return 0;
}

int bsd_send(int fd, const std::string& data) {
    std::size_t at = 0;
    while (at < data.size()) {
        const long n = peer_send_once(fd, data.data() + at, data.size() - at);
        if (n < 0)
            return static_cast<int>(-n);
        at += static_cast<std::size_t>(n);
    }
    return 0;
}

} // namespace riosp::test
