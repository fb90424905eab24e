// Raw UDP baselines over 127.0.0.1, with no riosp in the way: the 64 B datagram rate one way
// with blocking sendto/recvfrom and with sendmmsg/recvmmsg in batches of 32, and the 64 B
// ping-pong with blocking sendto/recvfrom. The harness (loss handling, timing, counters) is
// udp_util.h's, the same the provider's benchmarks (provider_udp.cpp) run; the plain-socket
// pieces are udp_raw.h's, shared with rio_udp.cpp.
#include "udp_raw.h"

#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>

namespace riosp::bench::udp {

namespace {

void BM_UdpRate64_RawBlocking(benchmark::State& state) {
    RatePair pair;
    if (!pair.ok()) {
        state.SkipWithError("UDP socket set-up failed");
        return;
    }
    RateCounter c;
    std::thread rx([&] {
        char p[payload];
        while (!c.stopping()) {
            const long n = recv_one(pair.rx, p);
            if (n < 0)
                break;
            c.on_datagram(p, n, Clock::now());
        }
        c.exited();
    });
    char msg[payload] = {};
    finish_rate(state, pair, c, rx, [&](std::uint64_t g, int n) {
        stamp(msg, g, Kind::data);
        for (int i = 0; i < n; ++i)
            if (send_to(pair.tx, pair.to, msg) != payload)
                return false;
        return true;
    });
}
BENCHMARK(BM_UdpRate64_RawBlocking)->UseManualTime();

// sendmmsg/recvmmsg, 32 datagrams a call: the kernel's best batched path, which RIO_MSG_DEFER
// batching (rio_udp.cpp) is compared with. The receiver blocks for the first datagram of a
// batch only (MSG_WAITFORONE).
void BM_UdpRate64_RawMmsg32(benchmark::State& state) {
    RatePair pair;
    if (!pair.ok()) {
        state.SkipWithError("UDP socket set-up failed");
        return;
    }
    RateCounter c;
    std::thread rx([&] { receive_mmsg(pair.rx, c); });
    // All datagrams of an iteration carry the same head: one buffer serves the whole vector.
    char msg[payload] = {};
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};
    for (int i = 0; i < batch; ++i) {
        iov[i] = {msg, payload};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &pair.to;
        msgs[i].msg_hdr.msg_namelen = sizeof pair.to;
    }
    finish_rate(state, pair, c, rx, [&](std::uint64_t g, int n) {
        stamp(msg, g, Kind::data);
        while (n > 0) {
            const int k = ::sendmmsg(pair.tx, msgs.data(), std::min(n, batch), 0);
            if (k <= 0)
                return false;
            n -= k;
        }
        return true;
    });
}
BENCHMARK(BM_UdpRate64_RawMmsg32)->UseManualTime();

void BM_UdpPingPong64_RawBlocking(benchmark::State& state) {
    Echo echo;
    std::uint16_t port = 0;
    const int fd = bsd::udp_open_loopback(port);
    if (!echo.ok() || fd < 0) {
        state.SkipWithError("UDP socket set-up failed");
        if (fd >= 0)
            ::close(fd);
        return;
    }
    const sockaddr_in to = loopback(echo.port());
    run_pingpong(
        state, [&](const char* p) { return send_to(fd, to, p); },
        [&](char* p) { return recv_one(fd, p); });
    ::close(fd);
}
BENCHMARK(BM_UdpPingPong64_RawBlocking)->UseManualTime();

} // namespace

Echo::Echo() {
    fd_ = bsd::udp_open_loopback(port_);
    if (fd_ < 0)
        return;
    // Wakes up every 100 ms when idle: to nudge a near end that waits, and to notice stop_.
    const timeval tick{0, 100'000};
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    thread_ = std::thread([this] { run(); });
}

Echo::~Echo() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable())
        thread_.join();
    if (fd_ >= 0)
        ::close(fd_);
}

void Echo::run() {
    char p[payload];
    sockaddr_in from{};
    socklen_t from_len = 0;
    long last = -1; // the size of the last reply, in p (none yet: -1)
    while (!stop_.load(std::memory_order_relaxed)) {
        socklen_t len = sizeof from;
        const long n = ::recvfrom(fd_, p, payload, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (last >= static_cast<long>(sizeof(Head))) {
                stamp(p, head_of(p).gen, Kind::end);
                (void)::sendto(fd_, p, static_cast<std::size_t>(last), 0,
                               reinterpret_cast<const sockaddr*>(&from), from_len);
            }
            continue;
        }
        if (n < 0)
            return;
        from_len = len;
        last = n;
        (void)::sendto(fd_, p, static_cast<std::size_t>(n), 0,
                       reinterpret_cast<const sockaddr*>(&from), from_len);
    }
}

} // namespace riosp::bench::udp
