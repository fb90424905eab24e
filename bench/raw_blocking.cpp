// Raw blocking-socket baselines: what the kernel does with no riosp in the way.
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <thread>
#include <vector>

namespace riosp::bench {
namespace {

// 64 B request/response over loopback with an echo thread on the other end.
void BM_PingPong64_RawBlocking(benchmark::State& state) {
    bsd::Pair pair = bsd::make_pair();
    std::thread echo([fd = pair.server] {
        std::array<char, 64> buf{};
        while (bsd::recv_exact(fd, buf.data(), buf.size()) == 0 &&
               bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    std::array<char, 64> msg{};
    for (auto _ : state) {
        if (bsd::send_all(pair.client, msg.data(), msg.size()) != 0 ||
            bsd::recv_exact(pair.client, msg.data(), msg.size()) != 0) {
            state.SkipWithError("loopback I/O failed");
            break;
        }
    }
    shutdown(pair.client, SHUT_WR);
    echo.join();
    bsd::close_pair(pair);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong64_RawBlocking)->UseRealTime();

// 64 KiB writes streamed one way; a reader thread drains them.
void BM_Stream64K_RawBlocking(benchmark::State& state) {
    constexpr std::size_t kChunk = 64 * 1024;
    bsd::Pair pair = bsd::make_pair();
    std::thread reader([fd = pair.server] {
        std::vector<char> buf(kChunk);
        while (recv(fd, buf.data(), buf.size(), 0) > 0) {
        }
    });
    std::vector<char> chunk(kChunk, 'x');
    for (auto _ : state) {
        if (bsd::send_all(pair.client, chunk.data(), chunk.size()) != 0) {
            state.SkipWithError("loopback send failed");
            break;
        }
    }
    shutdown(pair.client, SHUT_WR);
    reader.join();
    bsd::close_pair(pair);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kChunk));
}
BENCHMARK(BM_Stream64K_RawBlocking)->UseRealTime();

// The receiving side of the same stream: a writer thread sends 64 KiB chunks, one recv(2) of up
// to 64 KiB per iteration (the baseline of BM_Stream64KIn_Rio*).
void BM_Stream64KIn_RawBlocking(benchmark::State& state) {
    constexpr std::size_t kChunk = 64 * 1024;
    bsd::Pair pair = bsd::make_pair();
    std::thread writer([fd = pair.server] {
        std::vector<char> buf(kChunk, 'y');
        while (bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    std::vector<char> chunk(kChunk);
    std::int64_t bytes = 0;
    for (auto _ : state) {
        const ssize_t got = recv(pair.client, chunk.data(), chunk.size(), 0);
        if (got <= 0) {
            state.SkipWithError("loopback recv failed");
            break;
        }
        bytes += got;
    }
    // An abortive close (an RST): the writer's send fails and it stops, instead of waiting for
    // a window that never opens.
    bsd::close_abortive(pair.client);
    pair.client = -1;
    writer.join();
    bsd::close_pair(pair);
    state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_Stream64KIn_RawBlocking)->UseRealTime();

} // namespace
} // namespace riosp::bench
