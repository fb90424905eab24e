// Half-close churn through the provider, both ends (raw baselines: raw_churn.cpp).
//
// Per connection: the client connects, sends a 1-byte request and WSASendDisconnect; the server
// reads the request, drains to the 0-byte receive, sends a 1-byte response and closes; the
// client reads the response and the 0-byte receive and closes. `concurrency` blocking client
// threads and `concurrency` blocking server threads (accepting on one provider listener), as
// the raw thread-per-connection baseline does it.
#include "bench_util.h"
#include "provider_support.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

namespace riosp::bench {
namespace {

int provider_client_once(std::uint16_t port) {
    int err = 0;
    SOCKET s = ws_connect(port, err);
    if (s == INVALID_SOCKET)
        return err != 0 ? err : -1;
    char b = 'q';
    if (!ws_send_all(s, &b, 1) || WSASendDisconnect(s, nullptr) != 0)
        err = WSAGetLastError();
    else if (!ws_recv_all(s, &b, 1) || b != 'r')
        err = WSAGetLastError() != 0 ? WSAGetLastError() : -1;
    else if (!ws_drain_to_eof(s))
        err = WSAGetLastError() != 0 ? WSAGetLastError() : -1;
    closesocket(s);
    return err;
}

void provider_serve(SOCKET s) {
    char b = 0;
    if (ws_recv_all(s, &b, 1) && ws_drain_to_eof(s)) {
        b = 'r';
        (void)ws_send_all(s, &b, 1);
    }
    closesocket(s);
}

void BM_Churn_Provider(benchmark::State& state) {
    const int concurrency = static_cast<int>(state.range(0));
    WsSession ws;
    if (!ws.ok()) {
        state.SkipWithError("WSAStartup failed");
        return;
    }
    SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a = loopback_addr(0);
    int len = sizeof a;
    if (listener == INVALID_SOCKET || bind(listener, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        listen(listener, 4096) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        state.SkipWithError("provider listener failed");
        return;
    }
    const auto port = static_cast<std::uint16_t>(((a.sin_port & 0xff) << 8) | (a.sin_port >> 8));
    std::atomic<bool> stop{false};
    std::vector<std::thread> servers;
    for (int i = 0; i < concurrency; ++i)
        servers.emplace_back([&] {
            while (!stop.load()) {
                SOCKET c = accept(listener, nullptr, nullptr);
                if (c == INVALID_SOCKET) {
                    if (stop.load())
                        return;
                    continue;
                }
                BOOL one = TRUE;
                (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
                                 sizeof one);
                provider_serve(c);
            }
        });
    std::int64_t done = 0;
    {
        ClientPool clients(concurrency, [port](int) { return provider_client_once(port); });
        const int batch = churn_batch(concurrency);
        (void)clients.run(batch); // untimed warm-up (bench_util.h)
        for (auto _ : state) {
            int err = clients.run(batch);
            if (err != 0) {
                state.SkipWithError(wsa_error_text(err).c_str());
                break;
            }
            done += batch;
        }
    }
    stop.store(true);
    closesocket(listener); // blocked accepts return WSAEINTR
    for (auto& t : servers)
        t.join();
    state.SetItemsProcessed(done);
    state.counters["conns_per_s"] =
        benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Churn_Provider)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->Iterations(churn_iterations);

} // namespace
} // namespace riosp::bench
