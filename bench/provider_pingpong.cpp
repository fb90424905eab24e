// 64 B ping-pong and 64 KiB stream through the provider (near end) against a plain-socket echo /
// drain thread (far end), as the rio benchmarks do: the difference to the raw baselines
// (BM_PingPong64_RawBlockingPct, BM_Stream64K_RawBlocking) is what the provider adds.
// Ping-pong runs twice: default workers, and busy-poll workers (RIOSP_BUSY_POLL=1 set before
// WSAStartup). p50/p99 come from per-iteration times.
#include "bench_util.h"
#include "provider_support.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>

#include <array>
#include <thread>
#include <vector>

namespace riosp::bench {
namespace {

void provider_pingpong(benchmark::State& state, bool busy_poll) {
    WsSession ws(busy_poll);
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    bsd::Listener listener;
    int err = 0;
    SOCKET s = ws_connect(listener.port(), err);
    int peer = s == INVALID_SOCKET ? -1 : listener.accept_one();
    if (peer < 0) {
        state.SkipWithError("connect failed");
        if (s != INVALID_SOCKET)
            closesocket(s);
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
        if (!ws_send_all(s, msg.data(), 64) || !ws_recv_all(s, msg.data(), 64)) {
            state.SkipWithError("provider ping-pong failed");
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

void BM_PingPong64_Provider(benchmark::State& s) {
    provider_pingpong(s, false);
}
void BM_PingPong64_ProviderBusyPoll(benchmark::State& s) {
    provider_pingpong(s, true);
}
BENCHMARK(BM_PingPong64_Provider)->UseManualTime();
BENCHMARK(BM_PingPong64_ProviderBusyPoll)->UseManualTime();

void BM_Stream64K_Provider(benchmark::State& state) {
    constexpr int kChunk = 64 * 1024;
    WsSession ws;
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    bsd::Listener listener;
    int err = 0;
    SOCKET s = ws_connect(listener.port(), err);
    int peer = s == INVALID_SOCKET ? -1 : listener.accept_one();
    if (peer < 0) {
        state.SkipWithError("connect failed");
        if (s != INVALID_SOCKET)
            closesocket(s);
        return;
    }
    std::thread reader([peer] {
        std::vector<char> buf(kChunk);
        while (bsd::recv_some(peer, buf.data(), buf.size()) > 0) {
        }
    });
    std::vector<char> chunk(kChunk, 'x');
    for (auto _ : state) {
        if (!ws_send_all(s, chunk.data(), kChunk)) {
            state.SkipWithError("provider send failed");
            break;
        }
    }
    WSASendDisconnect(s, nullptr);
    reader.join();
    closesocket(s);
    bsd::close_socket(peer);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * kChunk);
}
BENCHMARK(BM_Stream64K_Provider)->UseRealTime();

} // namespace
} // namespace riosp::bench
