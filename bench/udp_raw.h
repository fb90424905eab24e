// The plain-socket side of the UDP benchmarks (Linux socket headers: never beside
// <riosp/ws.h>): loopback addresses, the rate benchmarks' socket pair and receivers. Shared by
// the raw baselines (udp_raw.cpp) and rio's (rio_udp.cpp).
#pragma once

#include "support/bsd_peer.h"
#include "udp_util.h"

#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <thread>

namespace riosp::bench::udp {

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline long send_to(int fd, const sockaddr_in& to, const char* p) {
    return ::sendto(fd, p, payload, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

// One datagram at a time, blocking, the source not asked for (as the provider's receiver).
inline long recv_one(int fd, char* p) {
    return ::recvfrom(fd, p, payload, 0, nullptr, nullptr);
}

// A receiving socket (bound to 127.0.0.1, SO_RCVBUF raised as on the provider's side) and a
// sending one, for the rate benchmarks.
struct RatePair {
    int rx = -1;
    int tx = -1;
    std::uint16_t rx_port = 0;
    sockaddr_in to{};
    RatePair() {
        std::uint16_t tx_port = 0;
        rx = bsd::udp_open_loopback(rx_port);
        tx = bsd::udp_open_loopback(tx_port);
        to = loopback(rx_port);
        if (rx >= 0)
            (void)::setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    ~RatePair() {
        for (int fd : {rx, tx})
            if (fd >= 0)
                ::close(fd);
    }
    RatePair(const RatePair&) = delete;
    RatePair& operator=(const RatePair&) = delete;
    [[nodiscard]] bool ok() const { return rx >= 0 && tx >= 0; }
    void send_end(std::uint64_t g) const {
        char p[payload] = {};
        stamp(p, g, Kind::end);
        (void)send_to(tx, to, p);
    }
};

// The rest of a rate benchmark once its receiver thread runs: the timed loop, then the thread
// stopped (shutdown(SHUT_RD) wakes a receive that no end marker reached) and joined.
template <class Send>
void finish_rate(benchmark::State& state, RatePair& pair, RateCounter& c, std::thread& rx,
                 Send&& send) {
    const bool stopped = run_rate(state, c, send, [&](std::uint64_t g) { pair.send_end(g); });
    if (!stopped)
        (void)::shutdown(pair.rx, SHUT_RD);
    rx.join();
}

// A rate benchmark's receiver thread with recvmmsg, 32 datagrams a call: blocks for the first
// of a batch only (MSG_WAITFORONE).
inline void receive_mmsg(int fd, RateCounter& c) {
    std::array<std::array<char, payload>, batch> bufs{};
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};
    for (int i = 0; i < batch; ++i) {
        iov[i] = {bufs[i].data(), payload};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (!c.stopping()) {
        const int n = ::recvmmsg(fd, msgs.data(), batch, MSG_WAITFORONE, nullptr);
        if (n < 0)
            break;
        const auto now = Clock::now();
        for (int i = 0; i < n; ++i)
            c.on_datagram(bufs[i].data(), msgs[i].msg_len, now);
    }
    c.exited();
}

} // namespace riosp::bench::udp
