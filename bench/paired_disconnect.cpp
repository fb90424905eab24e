// WSASendDisconnect beside shutdown(SHUT_WR), and closesocket beside close(2), in the SAME cycle:
// each iteration sets up one provider pair and one plain pair, then times the two calls one
// right after the other, in alternating order, so both meet the same caches and the same moment
// of a noisy machine. Reported: the medians (provider_ns, raw_ns) and provider_ns / raw_ns
// (ratio). The unpaired benchmarks (provider_disconnect.cpp, raw_disconnect.cpp) also carry
// what riosp's own code around the call (connecting through the host, recycling) costs the
// caches of the call that follows; these carry the call alone.
#include "bench_util.h"
#include "provider_support.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

namespace riosp::bench {
namespace {

double median(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void paired_disconnect(benchmark::State& state, bool close) {
    WsSession ws;
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    bsd::Listener listener;
    std::vector<double> provider, raw;
    provider.reserve(disconnect_iterations);
    raw.reserve(disconnect_iterations);
    bool raw_first = false;
    for (auto _ : state) {
        int err = 0;
        SOCKET s = ws_connect(listener.port(), err);
        const int s_peer = s == INVALID_SOCKET ? -1 : listener.accept_one();
        const int c = bsd::connect_loopback(listener.port());
        const int c_peer = c < 0 ? -1 : listener.accept_one();
        if (s_peer < 0 || c_peer < 0) {
            state.SkipWithError("a loopback pair could not be set up");
            break;
        }
        double tp = 0;
        double tr = 0;
        for (int k = 0; k < 2; ++k) {
            const auto t0 = Clock::now();
            if ((k == 0) == raw_first) {
                (void)(close ? bsd::close_socket(c) : bsd::shut(c, bsd::Shut::wr));
                tr = seconds_between(t0, Clock::now());
            } else {
                (void)(close ? closesocket(s) : WSASendDisconnect(s, nullptr));
                tp = seconds_between(t0, Clock::now());
            }
        }
        raw_first = !raw_first;
        provider.push_back(tp * 1e9);
        raw.push_back(tr * 1e9);
        state.SetIterationTime(tp);
        (void)bsd::drain_to_eof(s_peer); // the FINs both calls sent
        (void)bsd::drain_to_eof(c_peer);
        if (!close) {
            closesocket(s);
            bsd::close_socket(c);
        }
        bsd::close_socket(s_peer);
        bsd::close_socket(c_peer);
    }
    const double p = median(provider);
    const double r = median(raw);
    state.counters["provider_ns"] = p;
    state.counters["raw_ns"] = r;
    state.counters["ratio"] = r > 0 ? p / r : 0;
}

void BM_DisconnectPaired_SendDisconnect(benchmark::State& s) {
    paired_disconnect(s, false);
}
void BM_DisconnectPaired_CloseSocket(benchmark::State& s) {
    paired_disconnect(s, true);
}
BENCHMARK(BM_DisconnectPaired_SendDisconnect)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_DisconnectPaired_CloseSocket)->UseManualTime()->Iterations(disconnect_iterations);

} // namespace
} // namespace riosp::bench
