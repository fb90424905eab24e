// rio/ through both backends, beside the raw baselines (raw_blocking.cpp, raw_uring.cpp): the
// same loopback pair, the same plain-socket echo / drain thread on the far end, so the
// difference is what rio adds on the near end.
//
// Three ways to wait for completions: _Poll spins on dequeue (the RIODequeueCompletion busy
// loop; _PollOwner the same on a single-owner CQ), _Notify arms RIONotify and blocks on the
// eventfd, as a RIO application would; _Wait sleeps in CompletionQueue::wait, as the provider's
// workers do (on io_uring: on the ring).
#include "support/bsd_peer.h"

#include <rio/rio.h>
#include <rio/wsa_error.h>
#include <riosp/event_handle.h>

#include <benchmark/benchmark.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <thread>
#include <vector>

namespace riosp::bench {
namespace {

// poll_owner: poll, on a single-owner CQ (CqOptions::single_owner: io_uring with DEFER_TASKRUN,
// requests submitted and completion work run inside the owner's dequeue).
enum class Wait { poll, poll_owner, notify, sleep };

// A CQ + RQ on the client end of a loopback pair; waits for completions its way.
class RioClient {
public:
    RioClient(rio::Backend backend, Wait wait, int fd, std::size_t region_size,
              bool fixed_buffers = true)
        : wait_(wait), memory_(region_size, 'x') {
        rio::CqOptions options;
        options.backend = backend;
        options.fixed_buffers = fixed_buffers;
        options.single_owner = wait == Wait::poll_owner;
        const bool polled = wait == Wait::poll || wait == Wait::poll_owner;
        RIO_NOTIFICATION_COMPLETION n{};
        if (!polled) {
            event_fd_ = ::eventfd(0, EFD_CLOEXEC);
            n.Type = RIO_EVENT_COMPLETION;
            n.Event.EventHandle = event_handle_from_fd(event_fd_);
            n.Event.NotifyReset = FALSE; // we read (reset) the eventfd ourselves
        }
        auto cq = rio::CompletionQueue::create(64, polled ? nullptr : &n, options);
        auto buf = rio::RegisteredBuffer::create(memory_);
        ok_ = cq.ok() && buf.ok();
        if (!ok_)
            return;
        cq_ = std::move(cq).value();
        buffer_ = std::move(buf).value();
        auto rq = rio::RequestQueue::create(fd, 8, 1, 8, 1, cq_, cq_, nullptr);
        ok_ = rq.ok();
        if (ok_)
            rq_ = std::move(rq).value();
    }
    ~RioClient() {
        rq_ = rio::RequestQueue{};
        if (event_fd_ >= 0)
            ::close(event_fd_);
    }
    RioClient(const RioClient&) = delete;
    RioClient& operator=(const RioClient&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] bool send(ULONG offset, ULONG length) {
        RIO_BUF b = buffer_.slice(offset, length);
        return rq_.send({&b, 1}, 0, nullptr) == 0;
    }
    [[nodiscard]] bool receive(ULONG offset, ULONG length, DWORD flags = RIO_MSG_WAITALL) {
        RIO_BUF b = buffer_.slice(offset, length);
        return rq_.receive({&b, 1}, flags, nullptr) == 0;
    }
    // Bytes of every completion waited for so far.
    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    // Waits for n completions; false on any failed one.
    [[nodiscard]] bool wait(std::size_t n) {
        std::array<RIORESULT, 16> res{};
        std::size_t got = 0;
        bool good = true;
        while (got < n) {
            const ULONG k = cq_.dequeue({res.data(), n - got});
            if (k == RIO_CORRUPT_CQ)
                return false;
            for (ULONG i = 0; i < k; ++i) {
                good = good && res[i].Status == 0;
                bytes_ += res[i].BytesTransferred;
            }
            got += k;
            if (got == n || k != 0)
                continue;
            if (wait_ == Wait::poll || wait_ == Wait::poll_owner) {
                // Spin, but let the echo thread (and rio's progress thread) have the vCPU:
                // this machine has two, and three threads are runnable.
                std::this_thread::yield();
                continue;
            }
            if (wait_ == Wait::sleep) {
                if (cq_.wait(-1) != 0)
                    return false;
                continue;
            }
            const int rc = cq_.notify();
            if (rc != 0 && rc != rio::wsa::ealready)
                return false;
            std::uint64_t v = 0;
            if (::read(event_fd_, &v, sizeof v) != sizeof v)
                return false;
        }
        return good;
    }

private:
    Wait wait_;
    std::vector<char> memory_;
    rio::CompletionQueue cq_;
    rio::RegisteredBuffer buffer_;
    rio::RequestQueue rq_;
    int event_fd_ = -1;
    bool ok_ = false;
    std::uint64_t bytes_ = 0;
};

// Skips the benchmark, saying why, when the backend cannot run on this machine.
bool skipped_unavailable(benchmark::State& state, rio::Backend backend) {
    if (rio::backend_available(backend))
        return false;
    state.SkipWithError("backend not available");
    return true;
}

void ping_pong(benchmark::State& state, rio::Backend backend, Wait wait) {
    if (skipped_unavailable(state, backend))
        return;
    bsd::Pair pair = bsd::make_pair();
    std::thread echo([fd = pair.server] {
        std::array<char, 64> buf{};
        while (bsd::recv_exact(fd, buf.data(), buf.size()) == 0 &&
               bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    {
        RioClient client(backend, wait, pair.client, 128);
        if (!client.ok())
            state.SkipWithError("rio setup failed");
        for (auto _ : state) {
            if (!client.ok() || !client.receive(64, 64) || !client.send(0, 64) || !client.wait(2)) {
                state.SkipWithError("rio ping-pong failed");
                break;
            }
        }
    }
    shutdown(pair.client, SHUT_WR);
    echo.join();
    bsd::close_pair(pair);
    state.SetItemsProcessed(state.iterations());
}

// One 64 KiB RIOSend at a time, each waited for: the same shape as the blocking send_all.
void stream(benchmark::State& state, rio::Backend backend, Wait wait) {
    constexpr std::size_t kChunk = 64 * 1024;
    if (skipped_unavailable(state, backend))
        return;
    bsd::Pair pair = bsd::make_pair();
    std::thread reader([fd = pair.server] {
        std::vector<char> buf(kChunk);
        while (recv(fd, buf.data(), buf.size(), 0) > 0) {
        }
    });
    {
        RioClient client(backend, wait, pair.client, kChunk);
        if (!client.ok())
            state.SkipWithError("rio setup failed");
        for (auto _ : state) {
            if (!client.ok() || !client.send(0, kChunk) || !client.wait(1)) {
                state.SkipWithError("rio send failed");
                break;
            }
        }
    }
    shutdown(pair.client, SHUT_WR);
    reader.join();
    bsd::close_pair(pair);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kChunk));
}

// The other direction: a plain writer thread streams 64 KiB sends, rio receives with one
// 64 KiB RIOReceive (no MSG_WAITALL) at a time. The receive is where io_uring can use the
// registered region as a fixed buffer (READ_FIXED); `fixed_buffers = false` is the same loop
// naming plain memory, so the pair shows what the buffer table is worth.
void stream_in(benchmark::State& state, rio::Backend backend, bool fixed_buffers) {
    constexpr std::size_t kChunk = 64 * 1024;
    if (skipped_unavailable(state, backend))
        return;
    bsd::Pair pair = bsd::make_pair();
    std::thread writer([fd = pair.server] {
        std::vector<char> buf(kChunk, 'y');
        while (bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    std::uint64_t bytes = 0;
    {
        RioClient client(backend, Wait::poll, pair.client, kChunk, fixed_buffers);
        if (!client.ok())
            state.SkipWithError("rio setup failed");
        for (auto _ : state) {
            if (!client.ok() || !client.receive(0, kChunk, 0) || !client.wait(1)) {
                state.SkipWithError("rio receive failed");
                break;
            }
        }
        bytes = client.bytes();
    }
    // An abortive close (an RST): the writer's send fails and it stops, instead of waiting for
    // a window that never opens.
    bsd::close_abortive(pair.client);
    pair.client = -1;
    writer.join();
    bsd::close_pair(pair);
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_PingPong64_RioUring_Poll(benchmark::State& s) {
    ping_pong(s, rio::Backend::uring, Wait::poll);
}
void BM_PingPong64_RioUring_PollOwner(benchmark::State& s) {
    ping_pong(s, rio::Backend::uring, Wait::poll_owner);
}
void BM_PingPong64_RioUring_Notify(benchmark::State& s) {
    ping_pong(s, rio::Backend::uring, Wait::notify);
}
void BM_PingPong64_RioUring_Wait(benchmark::State& s) {
    ping_pong(s, rio::Backend::uring, Wait::sleep);
}
void BM_PingPong64_RioEpoll_Poll(benchmark::State& s) {
    ping_pong(s, rio::Backend::epoll, Wait::poll);
}
void BM_PingPong64_RioEpoll_Notify(benchmark::State& s) {
    ping_pong(s, rio::Backend::epoll, Wait::notify);
}
void BM_Stream64K_RioUring_Poll(benchmark::State& s) {
    stream(s, rio::Backend::uring, Wait::poll);
}
void BM_Stream64K_RioUring_PollOwner(benchmark::State& s) {
    stream(s, rio::Backend::uring, Wait::poll_owner);
}
void BM_Stream64K_RioUring_Notify(benchmark::State& s) {
    stream(s, rio::Backend::uring, Wait::notify);
}
void BM_Stream64K_RioEpoll_Poll(benchmark::State& s) {
    stream(s, rio::Backend::epoll, Wait::poll);
}
void BM_Stream64K_RioEpoll_Notify(benchmark::State& s) {
    stream(s, rio::Backend::epoll, Wait::notify);
}
void BM_Stream64KIn_RioUring_Poll(benchmark::State& s) {
    stream_in(s, rio::Backend::uring, true);
}
void BM_Stream64KIn_RioUring_PollPlainBuffers(benchmark::State& s) {
    stream_in(s, rio::Backend::uring, false);
}
void BM_Stream64KIn_RioEpoll_Poll(benchmark::State& s) {
    stream_in(s, rio::Backend::epoll, true);
}
BENCHMARK(BM_PingPong64_RioUring_Poll)->UseRealTime();
BENCHMARK(BM_PingPong64_RioUring_PollOwner)->UseRealTime();
BENCHMARK(BM_PingPong64_RioUring_Notify)->UseRealTime();
BENCHMARK(BM_PingPong64_RioUring_Wait)->UseRealTime();
BENCHMARK(BM_PingPong64_RioEpoll_Poll)->UseRealTime();
BENCHMARK(BM_PingPong64_RioEpoll_Notify)->UseRealTime();
BENCHMARK(BM_Stream64K_RioUring_Poll)->UseRealTime();
BENCHMARK(BM_Stream64K_RioUring_PollOwner)->UseRealTime();
BENCHMARK(BM_Stream64K_RioUring_Notify)->UseRealTime();
BENCHMARK(BM_Stream64K_RioEpoll_Poll)->UseRealTime();
BENCHMARK(BM_Stream64K_RioEpoll_Notify)->UseRealTime();
BENCHMARK(BM_Stream64KIn_RioUring_Poll)->UseRealTime();
BENCHMARK(BM_Stream64KIn_RioUring_PollPlainBuffers)->UseRealTime();
BENCHMARK(BM_Stream64KIn_RioEpoll_Poll)->UseRealTime();

} // namespace
} // namespace riosp::bench
