// Helpers for the rio suites: loopback TCP pairs (the peer is a plain BSD socket), bounded
// waits, registered buffers.
#pragma once

#include <rio/rio.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace riosp::rio::test {

using namespace std::chrono_literals;

// A connected loopback pair: `local` goes to rio, `peer` stays a plain socket.
struct TcpPair {
    int local = -1;
    int peer = -1;
    TcpPair() {
        int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        EXPECT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
        EXPECT_EQ(::listen(listener, 1), 0);
        EXPECT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
        local = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        EXPECT_EQ(::connect(local, reinterpret_cast<sockaddr*>(&addr), len), 0);
        peer = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        ::close(listener);
        int one = 1;
        ::setsockopt(local, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(peer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~TcpPair() {
        if (local >= 0)
            ::close(local);
        if (peer >= 0)
            ::close(peer);
    }
    TcpPair(const TcpPair&) = delete;
    TcpPair& operator=(const TcpPair&) = delete;

    // Abortive close of the peer: SO_LINGER {1, 0} sends an RST.
    void reset_peer() {
        linger l{1, 0};
        ::setsockopt(peer, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(peer);
        peer = -1;
    }
    bool peer_send(const std::string& s) const {
        return ::send(peer, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
    }
    // Reads exactly n bytes from the peer or fails after the timeout.
    std::string peer_recv(std::size_t n, std::chrono::milliseconds timeout = 5000ms) const {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
            pollfd p{peer, POLLIN, 0};
            if (::poll(&p, 1, 20) != 1)
                continue;
            char buf[65536];
            const ssize_t got = ::recv(peer, buf, std::min(sizeof buf, n - out.size()), 0);
            if (got <= 0)
                break;
            out.append(buf, static_cast<std::size_t>(got));
        }
        return out;
    }
    // True when the peer has nothing to read within `quiet`.
    bool peer_has_nothing(std::chrono::milliseconds quiet = 50ms) const {
        pollfd p{peer, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(quiet.count())) == 0;
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

inline bool event_signaled(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

struct EventFd {
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ~EventFd() { ::close(fd); }
    EventFd() = default;
    EventFd(const EventFd&) = delete;
    EventFd& operator=(const EventFd&) = delete;
};

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
    return info.param == Backend::uring ? "io_uring" : "epoll";
}

inline void* ctx(std::uintptr_t v) {
    return reinterpret_cast<void*>(v);
}

} // namespace riosp::rio::test
