// The peer's loops over one platform's primitives (bsd_peer_os.h): exact reads, reading to the end,
// whole sends, pairs. The sockets themselves are bsd_peer_posix.cpp's or bsd_peer_win.cpp's.
#include "bsd_peer.h"
#include "bsd_peer_os.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace riosp::bsd {

Pair make_pair() {
    const Listener listener(1);
    Pair pair;
    pair.client = connect_loopback(listener.port());
    if (pair.client < 0)
        throw std::runtime_error(std::string("bsd::make_pair: connect: ") +
                                 error_text(pair.client));
    pair.server = listener.accept_one();
    if (pair.server < 0) {
        const int err = pair.server;
        close_socket(pair.client);
        throw std::runtime_error(std::string("bsd::make_pair: accept: ") + error_text(err));
    }
    return pair;
}

void close_pair(Pair& pair) {
    close_socket(pair.client);
    close_socket(pair.server);
    pair = {};
}

int send_all(int fd, const void* data, std::size_t len) {
    const auto* p = static_cast<const char*>(data);
    while (len > 0) {
        const long n = send_once(fd, p, len);
        if (n < 0)
            return static_cast<int>(-n);
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return 0;
}

int send_all(int fd, std::string_view data) {
    return send_all(fd, data.data(), data.size());
}

int recv_exact(int fd, void* data, std::size_t len, int timeout_ms) {
    auto* p = static_cast<char*>(data);
    while (len > 0) {
        if (timeout_ms >= 0 && wait_readable(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const long n = recv_some(fd, p, len);
        if (n == 0)
            return EPIPE;
        if (n < 0)
            return static_cast<int>(-n);
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return 0;
}

int read_exact(int fd, std::string& out, std::size_t n, int timeout_ms) {
    char buf[4096];
    while (out.size() < n) {
        if (wait_readable(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const long got = recv_some(fd, buf, std::min(sizeof buf, n - out.size()));
        if (got == 0)
            return EPIPE;
        if (got < 0)
            return static_cast<int>(-got);
        out.append(buf, static_cast<std::size_t>(got));
    }
    return 0;
}

int drain_to_eof(int fd, int timeout_ms) {
    char buf[4096];
    for (;;) {
        if (timeout_ms >= 0 && wait_readable(fd, timeout_ms) <= 0)
            return ETIMEDOUT;
        const long n = recv_some(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0)
            return static_cast<int>(-n);
    }
}

int read_to_end(int fd, std::string& out, int timeout_ms) {
    static const std::atomic<bool> never{false};
    return read_to_end_or_reset(fd, out, timeout_ms, never);
}

int read_to_end_or_reset(int fd, std::string& out, int timeout_ms, const std::atomic<bool>& reset) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool reset_done = false;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        if (!reset_done && reset.load(std::memory_order_acquire)) {
            reset_in_place(fd);
            reset_done = true;
        }
        // Short waits, so that a reset asked for meanwhile is seen.
        if (wait_readable(fd, 10) <= 0)
            continue;
        const long n = recv_some(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0)
            return static_cast<int>(-n);
        out.append(buf, static_cast<std::size_t>(n));
    }
    return ETIMEDOUT;
}

bool is_addr_not_avail(int neg_errno) noexcept {
    return neg_errno == -EADDRNOTAVAIL;
}

const char* error_text(int neg_errno) noexcept {
    return std::strerror(-neg_errno);
}

} // namespace riosp::bsd
