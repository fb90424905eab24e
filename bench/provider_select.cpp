// A select-driven 64 B ping-pong through the provider (near end: a non-blocking socket, select
// before every receive) against a plain-socket echo thread (far end); its baselines, the same
// loop over a plain socket with select(2) and with poll(2), are raw_select.cpp's. Each round
// trip's select waits for the echo: what it costs riosp to sleep in its select and to be woken.
#include "bench_util.h"
#include "provider_support.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>

#include <array>
#include <thread>

namespace riosp::bench {
namespace {

// Receives `len` bytes from a non-blocking provider socket, waiting in select for each part.
bool select_recv_all(SOCKET s, char* p, int len) {
    while (len > 0) {
        fd_set r{};
        FD_SET(s, &r);
        if (select(0, &r, nullptr, nullptr, nullptr) != 1)
            return false;
        const int n = recv(s, p, len, 0);
        if (n == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= n;
    }
    return true;
}

void BM_SelectPingPong64_Provider(benchmark::State& state) {
    WsSession ws;
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    bsd::Listener listener;
    int err = 0;
    SOCKET s = ws_connect(listener.port(), err);
    int peer = s == INVALID_SOCKET ? -1 : listener.accept_one();
    u_long on = 1;
    if (peer < 0 || ioctlsocket(s, static_cast<long>(FIONBIO), &on) != 0) {
        state.SkipWithError("connect failed");
        if (s != INVALID_SOCKET)
            closesocket(s);
        bsd::close_socket(peer);
        return;
    }
    std::thread echo([peer] {
        std::array<char, 64> buf{};
        while (bsd::recv_exact(peer, buf.data(), buf.size()) == 0 &&
               bsd::send_all(peer, buf.data(), buf.size()) == 0) {
        }
    });
    std::array<char, 64> msg{};
    Samples samples;
    samples.reserve(1 << 20);
    for (auto _ : state) {
        const auto t0 = Clock::now();
        // 64 B always fit an empty socket buffer: a non-blocking send takes them whole.
        if (send(s, msg.data(), 64, 0) != 64 || !select_recv_all(s, msg.data(), 64)) {
            state.SkipWithError("provider select ping-pong failed");
            break;
        }
        const double dt = seconds_between(t0, Clock::now());
        samples.add(dt);
        state.SetIterationTime(dt);
    }
    WSASendDisconnect(s, nullptr);
    echo.join();
    closesocket(s);
    bsd::close_socket(peer);
    samples.report(state);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SelectPingPong64_Provider)->UseManualTime();

} // namespace
} // namespace riosp::bench
