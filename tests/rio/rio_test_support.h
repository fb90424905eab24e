// Helpers for the rio suites: loopback TCP pairs (the peer is a plain socket), bounded waits,
// registered buffers, notification events. Platform-free: the OS part is rio_test_os.h.
#pragma once

#include <rio/rio.h>

#include "rio_test_os.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace riosp::rio::test {

using namespace std::chrono_literals;

// A connected loopback pair: `local` goes to rio, `peer` stays a plain socket.
struct TcpPair {
    Sock local = net::invalid_socket;
    Sock peer = net::invalid_socket;
    TcpPair() { EXPECT_TRUE(open_tcp_pair(local, peer)); }
    ~TcpPair() {
        close_socket(local);
        close_socket(peer);
    }
    TcpPair(const TcpPair&) = delete;
    TcpPair& operator=(const TcpPair&) = delete;

    // Abortive close of the peer: SO_LINGER {1, 0} sends an RST.
    void reset_peer() {
        set_abort_on_close(peer);
        close_socket(peer);
        peer = net::invalid_socket;
    }
    bool peer_send(const std::string& s) const { return send_all(peer, s.data(), s.size()); }
    // Reads exactly n bytes from the peer or fails after the timeout.
    std::string peer_recv(std::size_t n, std::chrono::milliseconds timeout = 5000ms) const {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
            if (!readable(peer, 20))
                continue;
            char buf[65536];
            const long got = recv_some(peer, buf, std::min(sizeof buf, n - out.size()));
            if (got <= 0)
                break;
            out.append(buf, static_cast<std::size_t>(got));
        }
        return out;
    }
    // True when the peer has nothing to read within `quiet`.
    bool peer_has_nothing(std::chrono::milliseconds quiet = 50ms) const {
        return !readable(peer, static_cast<int>(quiet.count()));
    }
};

// Dequeues until `n` results arrived or the timeout expired.
inline std::vector<RIORESULT> wait_results(CompletionQueue& cq, std::size_t n,
                                           std::chrono::milliseconds timeout = 5000ms) {
    std::vector<RIORESULT> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    RIORESULT batch[64];
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
        const ULONG got = cq.dequeue({batch, std::min<std::size_t>(64, n - out.size())});
        if (got == RIO_CORRUPT_CQ) {
            ADD_FAILURE() << "RIO_CORRUPT_CQ";
            break;
        }
        out.insert(out.end(), batch, batch + got);
        if (got == 0)
            std::this_thread::sleep_for(1ms);
    }
    return out;
}

inline bool event_signaled(const TestEvent& ev, std::chrono::milliseconds timeout) {
    return ev.signaled(static_cast<int>(timeout.count()));
}

// The notification of a CQ that signals `ev`.
inline RIO_NOTIFICATION_COMPLETION event_notification(const TestEvent& ev, bool reset = false) {
    RIO_NOTIFICATION_COMPLETION n{};
    n.Type = RIO_EVENT_COMPLETION;
    n.Event.EventHandle = ev.handle();
    n.Event.NotifyReset = reset ? TRUE : FALSE;
    return n;
}

// A registered region that outlives every request naming it within a test.
struct Region {
    std::vector<char> bytes;
    RegisteredBuffer buf;
    explicit Region(std::size_t n) : bytes(n, 0) {
        auto r = RegisteredBuffer::create(bytes);
        EXPECT_TRUE(r.ok());
        buf = std::move(r).value();
    }
    RIO_BUF slice(ULONG offset, ULONG length) const { return buf.slice(offset, length); }
    std::string text(ULONG offset, ULONG length) const {
        return std::string(bytes.data() + offset, length);
    }
    void fill(ULONG offset, const std::string& s) {
        std::copy(s.begin(), s.end(), bytes.begin() + offset);
    }
};

// Names the instances of a suite parameterized over Backend (.../io_uring, .../epoll).
inline std::string backend_param_name(const ::testing::TestParamInfo<Backend>& info) {
    return backend_name(info.param);
}

// The platform's other backend (uring <-> epoll, native <-> overlapped).
inline Backend other_backend(Backend b) {
    switch (b) {
    case Backend::uring:
        return Backend::epoll;
    case Backend::epoll:
        return Backend::uring;
    case Backend::native:
        return Backend::overlapped;
    case Backend::overlapped:
        return Backend::native;
    }
    return b;
}

// The backends of this platform, for INSTANTIATE_TEST_SUITE_P (unavailable ones skip).
inline auto platform_backends() {
#ifdef _WIN32
    return ::testing::Values(Backend::native, Backend::overlapped);
#else
    return ::testing::Values(Backend::uring, Backend::epoll);
#endif
}

inline void* ctx(std::uintptr_t v) {
    return reinterpret_cast<void*>(v);
}

} // namespace riosp::rio::test
