// Caller-side cost of the four disconnect calls through the host API (WSASendDisconnect,
// WSARecvDisconnect, shutdown(SD_BOTH), closesocket) on connected loopback pairs, and the time
// from WSASendDisconnect until the peer sees EOF. Raw baselines: raw_disconnect.cpp.
//
// One fresh provider socket per iteration (connected to a plain-socket peer), set up outside the
// measured interval (manual time). allocs_per_op counts heap operations on every thread from
// just before the call until the work it causes is done: the peer's EOF for the calls that send
// a FIN, and the socket's slot recycled for closesocket.
#include "bench_util.h"
#include "provider_support.h"
#include "support/alloc_counter.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>

namespace riosp::bench {
namespace {

enum class Op { send_disconnect, recv_disconnect, shutdown_both, close, send_disconnect_to_eof };

// spinning: one worker busy-polling with a 1 s budget (RIOSP_BUSY_POLL_US, RIOSP_WORKERS=1: on
// 2 cores a second spinning worker would take the benchmark's own core), so it is spinning
// when the call comes, and WSASendDisconnect hands its FIN to it.
void provider_disconnect(benchmark::State& state, Op op, bool spinning = false) {
    if (spinning) {
        setenv("RIOSP_BUSY_POLL_US", "1000000", 1);
        setenv("RIOSP_WORKERS", "1", 1);
    }
    WsSession ws;
    if (spinning) { // both are read at WSAStartup
        unsetenv("RIOSP_BUSY_POLL_US");
        unsetenv("RIOSP_WORKERS");
    }
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    bsd::Listener listener;
    const InUseFn in_use = sockets_in_use_fn();
    const int base = in_use != nullptr ? in_use() : 0;
    alloc::Counts allocs;
    std::int64_t counted = 0;
    int warmup = 50; // first cycles grow slabs and rings: not steady state, not counted
    bool failed = false;
    auto cycle = [&](bool measure) -> double {
        int err = 0;
        SOCKET s = ws_connect(listener.port(), err);
        if (s == INVALID_SOCKET) {
            state.SkipWithError(wsa_error_text(err).c_str());
            failed = true;
            return 0;
        }
        int peer = listener.accept_one();
        if (peer < 0) {
            closesocket(s);
            state.SkipWithError("accept of the provider's connection failed");
            failed = true;
            return 0;
        }
        if (measure)
            alloc::start();
        int r = 0;
        const auto t0 = Clock::now();
        switch (op) {
        case Op::send_disconnect:
            r = WSASendDisconnect(s, nullptr);
            break;
        case Op::recv_disconnect:
            r = WSARecvDisconnect(s, nullptr);
            break;
        case Op::shutdown_both:
            r = shutdown(s, SD_BOTH);
            break;
        case Op::close:
            r = closesocket(s);
            break;
        case Op::send_disconnect_to_eof:
            r = WSASendDisconnect(s, nullptr);
            r = r == 0 ? bsd::drain_to_eof(peer) : r;
            break;
        }
        const auto t1 = Clock::now();
        // The worker-side work the call caused: counted, not timed.
        if (op == Op::send_disconnect || op == Op::shutdown_both || op == Op::close)
            r = r == 0 ? bsd::drain_to_eof(peer) : r;
        if (op == Op::close) {
            bsd::close_socket(peer);
            peer = -1;
            if (!wait_in_use(in_use, base))
                r = -1;
        }
        if (measure) {
            alloc::Counts n = alloc::stop();
            allocs.allocations += n.allocations;
            allocs.frees += n.frees;
            ++counted;
        }
        if (r != 0) {
            state.SkipWithError("disconnect call failed");
            failed = true;
        }
        if (peer >= 0)
            bsd::close_socket(peer);
        if (op != Op::close)
            closesocket(s);
        (void)wait_in_use(in_use, base); // the next cycle starts from an idle provider
        return seconds_between(t0, t1);
    };
    while (warmup-- > 0 && !failed)
        (void)cycle(false);
    for (auto _ : state) {
        if (failed)
            break;
        state.SetIterationTime(cycle(true));
    }
    state.counters["allocs_per_op"] = benchmark::Counter(
        counted > 0 ? static_cast<double>(allocs.allocations) / static_cast<double>(counted) : 0);
    state.counters["frees_per_op"] = benchmark::Counter(
        counted > 0 ? static_cast<double>(allocs.frees) / static_cast<double>(counted) : 0);
}

void BM_Disconnect_ProviderSendDisconnect(benchmark::State& s) {
    provider_disconnect(s, Op::send_disconnect);
}
void BM_Disconnect_ProviderSendDisconnectBusyPoll(benchmark::State& s) {
    provider_disconnect(s, Op::send_disconnect, true);
}
void BM_DisconnectToPeerEof_ProviderBusyPoll(benchmark::State& s) {
    provider_disconnect(s, Op::send_disconnect_to_eof, true);
}
void BM_Disconnect_ProviderRecvDisconnect(benchmark::State& s) {
    provider_disconnect(s, Op::recv_disconnect);
}
void BM_Disconnect_ProviderShutdownBoth(benchmark::State& s) {
    provider_disconnect(s, Op::shutdown_both);
}
void BM_Disconnect_ProviderCloseSocket(benchmark::State& s) {
    provider_disconnect(s, Op::close);
}
void BM_DisconnectToPeerEof_Provider(benchmark::State& s) {
    provider_disconnect(s, Op::send_disconnect_to_eof);
}

BENCHMARK(BM_Disconnect_ProviderSendDisconnect)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_ProviderRecvDisconnect)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_ProviderShutdownBoth)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_ProviderCloseSocket)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_DisconnectToPeerEof_Provider)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_ProviderSendDisconnectBusyPoll)
    ->UseManualTime()
    ->Iterations(disconnect_iterations);
BENCHMARK(BM_DisconnectToPeerEof_ProviderBusyPoll)
    ->UseManualTime()
    ->Iterations(disconnect_iterations);

} // namespace
} // namespace riosp::bench
