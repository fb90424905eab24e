// Raw baselines for the provider's disconnect benchmarks (provider_disconnect.cpp): the same
// per-call measurement on plain BSD loopback pairs — shutdown(2) and close(2) caller-side, and
// shutdown(SHUT_WR) until the peer's recv returns 0. One fresh pair per iteration, set up
// outside the measured interval (manual time).
#include "bench_util.h"
#include "support/alloc_counter.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>

namespace riosp::bench {
namespace {

enum class Op { shut_wr, shut_rd, shut_rdwr, close, shut_wr_to_peer_eof };

void raw_disconnect(benchmark::State& state, Op op) {
    bsd::Listener listener;
    alloc::Counts allocs;
    for (auto _ : state) {
        int c = bsd::connect_loopback(listener.port());
        if (c < 0) {
            state.SkipWithError(bsd::is_addr_not_avail(c)
                                    ? "EADDRNOTAVAIL: ephemeral ports exhausted (TIME_WAIT)"
                                    : bsd::error_text(c));
            break;
        }
        int s = listener.accept_one();
        if (s < 0) {
            bsd::close_socket(c);
            state.SkipWithError("accept failed");
            break;
        }
        alloc::start();
        const auto t0 = Clock::now();
        switch (op) {
        case Op::shut_wr:
            bsd::shut(c, bsd::Shut::wr);
            break;
        case Op::shut_rd:
            bsd::shut(c, bsd::Shut::rd);
            break;
        case Op::shut_rdwr:
            bsd::shut(c, bsd::Shut::rdwr);
            break;
        case Op::close:
            bsd::close_socket(c);
            break;
        case Op::shut_wr_to_peer_eof:
            bsd::shut(c, bsd::Shut::wr);
            (void)bsd::drain_to_eof(s);
            break;
        }
        const auto t1 = Clock::now();
        if (op != Op::shut_rd && op != Op::shut_wr_to_peer_eof)
            (void)bsd::drain_to_eof(s); // the work the call causes, counted but not timed
        alloc::Counts n = alloc::stop();
        allocs.allocations += n.allocations;
        allocs.frees += n.frees;
        state.SetIterationTime(seconds_between(t0, t1));
        if (op != Op::close)
            bsd::close_socket(c);
        bsd::close_socket(s);
    }
    state.counters["allocs_per_op"] = benchmark::Counter(static_cast<double>(allocs.allocations),
                                                         benchmark::Counter::kAvgIterations);
}

void BM_Disconnect_RawShutdownWr(benchmark::State& s) {
    raw_disconnect(s, Op::shut_wr);
}
void BM_Disconnect_RawShutdownRd(benchmark::State& s) {
    raw_disconnect(s, Op::shut_rd);
}
void BM_Disconnect_RawShutdownRdWr(benchmark::State& s) {
    raw_disconnect(s, Op::shut_rdwr);
}
void BM_Disconnect_RawClose(benchmark::State& s) {
    raw_disconnect(s, Op::close);
}
void BM_DisconnectToPeerEof_Raw(benchmark::State& s) {
    raw_disconnect(s, Op::shut_wr_to_peer_eof);
}

BENCHMARK(BM_Disconnect_RawShutdownWr)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_RawShutdownRd)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_RawShutdownRdWr)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_Disconnect_RawClose)->UseManualTime()->Iterations(disconnect_iterations);
BENCHMARK(BM_DisconnectToPeerEof_Raw)->UseManualTime()->Iterations(disconnect_iterations);

} // namespace
} // namespace riosp::bench
