// The baselines of BM_SelectPingPong64_Provider (provider_select.cpp): the same select-driven
// 64 B ping-pong over a plain non-blocking socket, waiting in select(2) or in poll(2).
#include "bench_util.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <thread>

namespace riosp::bench {
namespace {

enum class Waiter { select, poll };

bool wait_readable(int fd, Waiter how) {
    if (how == Waiter::poll) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, -1) == 1;
    }
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    return ::select(fd + 1, &r, nullptr, nullptr, nullptr) == 1;
}

bool wait_recv_all(int fd, char* p, std::size_t len, Waiter how) {
    while (len > 0) {
        if (!wait_readable(fd, how))
            return false;
        const ssize_t n = ::recv(fd, p, len, MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

void raw_select_pingpong(benchmark::State& state, Waiter how) {
    bsd::Pair pair = bsd::make_pair();
    (void)::fcntl(pair.client, F_SETFL, ::fcntl(pair.client, F_GETFL) | O_NONBLOCK);
    std::thread echo([fd = pair.server] {
        std::array<char, 64> buf{};
        while (bsd::recv_exact(fd, buf.data(), buf.size()) == 0 &&
               bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    std::array<char, 64> msg{};
    Samples samples;
    samples.reserve(1 << 20);
    for (auto _ : state) {
        const auto t0 = Clock::now();
        if (::send(pair.client, msg.data(), msg.size(), MSG_NOSIGNAL) != 64 ||
            !wait_recv_all(pair.client, msg.data(), msg.size(), how)) {
            state.SkipWithError("loopback I/O failed");
            break;
        }
        const double dt = seconds_between(t0, Clock::now());
        samples.add(dt);
        state.SetIterationTime(dt);
    }
    ::shutdown(pair.client, SHUT_WR);
    echo.join();
    bsd::close_pair(pair);
    samples.report(state);
    state.SetItemsProcessed(state.iterations());
}

void BM_SelectPingPong64_RawSelect(benchmark::State& s) {
    raw_select_pingpong(s, Waiter::select);
}
void BM_SelectPingPong64_RawPoll(benchmark::State& s) {
    raw_select_pingpong(s, Waiter::poll);
}
BENCHMARK(BM_SelectPingPong64_RawSelect)->UseManualTime();
BENCHMARK(BM_SelectPingPong64_RawPoll)->UseManualTime();

} // namespace
} // namespace riosp::bench
