// Raw liburing baselines: what io_uring itself costs for the same loopback exchanges, with no
// RIO model on top (no quota, no CQ lock, no request FIFO). One ring, waited on with
// io_uring_submit_and_wait as a plain liburing program would.
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>
#include <liburing.h>
#include <sys/socket.h>

#include <array>
#include <thread>
#include <vector>

namespace riosp::bench {
namespace {

// Submits what is queued and reaps n CQEs; false on any negative or short result.
bool submit_and_reap(io_uring& ring, unsigned n, unsigned expect_bytes) {
    if (io_uring_submit_and_wait(&ring, n) < 0)
        return false;
    bool good = true;
    for (unsigned i = 0; i < n; ++i) {
        io_uring_cqe* cqe = nullptr;
        if (io_uring_wait_cqe(&ring, &cqe) != 0)
            return false;
        good = good && cqe->res == static_cast<int>(expect_bytes);
        io_uring_cqe_seen(&ring, cqe);
    }
    return good;
}

void BM_PingPong64_RawLiburing(benchmark::State& state) {
    bsd::Pair pair = bsd::make_pair();
    std::thread echo([fd = pair.server] {
        std::array<char, 64> buf{};
        while (bsd::recv_exact(fd, buf.data(), buf.size()) == 0 &&
               bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    io_uring ring{};
    if (io_uring_queue_init(8, &ring, 0) != 0) {
        state.SkipWithError("io_uring_queue_init failed");
    } else {
        std::array<char, 64> out{};
        std::array<char, 64> in{};
        for (auto _ : state) {
            io_uring_prep_recv(io_uring_get_sqe(&ring), pair.client, in.data(), in.size(),
                               MSG_WAITALL);
            io_uring_prep_send(io_uring_get_sqe(&ring), pair.client, out.data(), out.size(),
                               MSG_NOSIGNAL);
            if (!submit_and_reap(ring, 2, 64)) {
                state.SkipWithError("io_uring ping-pong failed");
                break;
            }
        }
        io_uring_queue_exit(&ring);
    }
    shutdown(pair.client, SHUT_WR);
    echo.join();
    bsd::close_pair(pair);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong64_RawLiburing)->UseRealTime();

void BM_Stream64K_RawLiburing(benchmark::State& state) {
    constexpr std::size_t kChunk = 64 * 1024;
    bsd::Pair pair = bsd::make_pair();
    std::thread reader([fd = pair.server] {
        std::vector<char> buf(kChunk);
        while (recv(fd, buf.data(), buf.size(), 0) > 0) {
        }
    });
    io_uring ring{};
    if (io_uring_queue_init(8, &ring, 0) != 0) {
        state.SkipWithError("io_uring_queue_init failed");
    } else {
        std::vector<char> chunk(kChunk, 'x');
        for (auto _ : state) {
            io_uring_prep_send(io_uring_get_sqe(&ring), pair.client, chunk.data(), chunk.size(),
                               MSG_NOSIGNAL | MSG_WAITALL);
            if (!submit_and_reap(ring, 1, kChunk)) {
                state.SkipWithError("io_uring send failed");
                break;
            }
        }
        io_uring_queue_exit(&ring);
    }
    shutdown(pair.client, SHUT_WR);
    reader.join();
    bsd::close_pair(pair);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kChunk));
}
BENCHMARK(BM_Stream64K_RawLiburing)->UseRealTime();

} // namespace
} // namespace riosp::bench
