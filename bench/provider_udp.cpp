// UDP through the provider, by the host's Winsock API (blocking sendto / recvfrom on SOCK_DGRAM
// sockets), beside the raw baselines of udp_raw.cpp: the 64 B datagram rate one way (both ends
// riosp; baselines BM_UdpRate64_RawBlocking, _RawMmsg32) and the 64 B ping-pong (riosp near end,
// the plain echo thread far end, as provider_pingpong.cpp; baseline
// BM_UdpPingPong64_RawBlocking). The harness is udp_util.h's, shared with the baselines.
#include "provider_support.h"
#include "udp_util.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <thread>

namespace riosp::bench::udp {
namespace {

using namespace riosp::ws;

std::uint16_t port_of(const sockaddr_in& a) {
    return static_cast<std::uint16_t>((a.sin_port >> 8) | ((a.sin_port & 0xff) << 8)); // ntohs
}

// A provider UDP socket bound to 127.0.0.1 with a kernel-chosen port (to `port`), or
// INVALID_SOCKET.
SOCKET ws_udp_open(std::uint16_t& port) {
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s == INVALID_SOCKET)
        return s;
    sockaddr_in a = loopback_addr(0);
    int len = sizeof a;
    if (bind(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        closesocket(s);
        return INVALID_SOCKET;
    }
    port = port_of(a);
    return s;
}

long ws_send_to(SOCKET s, const sockaddr_in& to, const char* p) {
    return sendto(s, p, payload, 0, reinterpret_cast<const sockaddr*>(&to),
                  static_cast<int>(sizeof to));
}

// One datagram, blocking, the source not asked for (as the baseline's receiver).
long ws_recv_one(SOCKET s, char* p) {
    return recvfrom(s, p, payload, 0, nullptr, nullptr);
}

void BM_UdpRate64_Provider(benchmark::State& state) {
    WsSession ws;
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    std::uint16_t rx_port = 0;
    std::uint16_t tx_port = 0;
    const SOCKET rx_sock = ws_udp_open(rx_port);
    const SOCKET tx = ws_udp_open(tx_port);
    if (rx_sock == INVALID_SOCKET || tx == INVALID_SOCKET) {
        state.SkipWithError("provider UDP socket set-up failed");
        for (SOCKET s : {rx_sock, tx})
            if (s != INVALID_SOCKET)
                closesocket(s);
        return;
    }
    (void)setsockopt(rx_sock, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&rcvbuf),
                     sizeof rcvbuf);
    const sockaddr_in to = loopback_addr(rx_port);
    RateCounter c;
    std::thread rx([&] {
        char p[payload];
        while (!c.stopping()) {
            const long n = ws_recv_one(rx_sock, p);
            if (n < 0)
                break;
            c.on_datagram(p, n, Clock::now());
        }
        c.exited();
    });
    char msg[payload] = {};
    const auto send_end = [&](std::uint64_t g) {
        char p[payload] = {};
        stamp(p, g, Kind::end);
        (void)ws_send_to(tx, to, p);
    };
    const bool stopped = run_rate(
        state, c,
        [&](std::uint64_t g, int n) {
            stamp(msg, g, Kind::data);
            for (int i = 0; i < n; ++i)
                if (ws_send_to(tx, to, msg) != payload)
                    return false;
            return true;
        },
        send_end);
    // closesocket ends a blocking receive in another thread (Winsock: WSAEINTR) when no end
    // marker reached it.
    if (!stopped)
        closesocket(rx_sock);
    rx.join();
    if (stopped)
        closesocket(rx_sock);
    closesocket(tx);
}
BENCHMARK(BM_UdpRate64_Provider)->UseManualTime();

void BM_UdpPingPong64_Provider(benchmark::State& state) {
    WsSession ws;
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    Echo echo;
    std::uint16_t port = 0;
    SOCKET s = ws_udp_open(port);
    if (!echo.ok() || s == INVALID_SOCKET) {
        state.SkipWithError("UDP socket set-up failed");
        if (s != INVALID_SOCKET)
            closesocket(s);
        return;
    }
    const sockaddr_in to = loopback_addr(echo.port());
    run_pingpong(
        state, [&](const char* p) { return ws_send_to(s, to, p); },
        [&](char* p) { return ws_recv_one(s, p); });
    closesocket(s);
}
BENCHMARK(BM_UdpPingPong64_Provider)->UseManualTime();

} // namespace
} // namespace riosp::bench::udp
