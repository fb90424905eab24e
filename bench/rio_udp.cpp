// RIO_MSG_DEFER batching of datagrams through rio's own C table (RIO_EXTENSION_FUNCTION_TABLE,
// as a Windows RIO application calls it): 32 RIOSendEx with RIO_MSG_DEFER, one
// RIO_MSG_COMMIT_ONLY, the 32 completions dequeued (polled), then the next 32. The baseline is
// BM_UdpRate64_RawMmsg32 (one sendmmsg of 32): the same receiver (recvmmsg), the same harness
// (udp_util.h), so the difference is the sending path. The CQ is made on the process's default
// backend (io_uring where available; RIOSP_RIO_BACKEND=epoll selects the fallback).
#include "udp_raw.h"

#include <rio/rio_table.h>

#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <thread>

namespace riosp::bench::udp {
namespace {

constexpr ULONG sockaddr_inet_len = 28; // a SOCKADDR_INET: what RIOSendEx's address slice holds

// The sender's RIO objects on pair.tx: a polled CQ, an RQ with room for one batch of sends, and
// one registered region with the datagram (offset 0) and the receiver's address (offset 64;
// AF_INET's sockaddr_in has the same layout on Linux and Windows).
class DeferSender {
public:
    DeferSender(int fd, const sockaddr_in& to) : t_(rio::function_table()) {
        std::memcpy(region_.data() + payload, &to, sizeof to);
        cq_ = t_.RIOCreateCompletionQueue(2 * batch, nullptr);
        id_ = t_.RIORegisterBuffer(region_.data(), static_cast<DWORD>(region_.size()));
        if (cq_ != RIO_INVALID_CQ)
            rq_ = t_.RIOCreateRequestQueue(static_cast<SOCKET>(fd), 1, 1, batch, 1, cq_, cq_,
                                           nullptr);
        data_ = RIO_BUF{id_, 0, payload};
        address_ = RIO_BUF{id_, payload, sockaddr_inet_len};
    }
    ~DeferSender() {
        if (rq_ != RIO_INVALID_RQ)
            rio::close_request_queue(rq_);
        if (cq_ != RIO_INVALID_CQ)
            t_.RIOCloseCompletionQueue(cq_);
        if (id_ != RIO_INVALID_BUFFERID)
            t_.RIODeregisterBuffer(id_);
    }
    DeferSender(const DeferSender&) = delete;
    DeferSender& operator=(const DeferSender&) = delete;
    [[nodiscard]] bool ok() const {
        return cq_ != RIO_INVALID_CQ && rq_ != RIO_INVALID_RQ && id_ != RIO_INVALID_BUFFERID;
    }

    // n datagrams stamped g (n a multiple of the batch); false on any failure.
    bool send(std::uint64_t g, int n) {
        // No send is outstanding between batches: the registered datagram may change.
        stamp(region_.data(), g, Kind::data);
        for (int done = 0; done < n; done += batch) {
            for (int i = 0; i < batch; ++i)
                if (!t_.RIOSendEx(rq_, &data_, 1, nullptr, &address_, nullptr, nullptr,
                                  RIO_MSG_DEFER, nullptr))
                    return false;
            if (!t_.RIOSendEx(rq_, nullptr, 0, nullptr, nullptr, nullptr, nullptr,
                              RIO_MSG_COMMIT_ONLY, nullptr) ||
                !reap(batch))
                return false;
        }
        return true;
    }

private:
    bool reap(int n) {
        std::array<RIORESULT, batch> res{};
        while (n > 0) {
            const ULONG k = t_.RIODequeueCompletion(cq_, res.data(), batch);
            if (k == RIO_CORRUPT_CQ)
                return false;
            for (ULONG i = 0; i < k; ++i)
                if (res[i].Status != 0 || res[i].BytesTransferred != payload)
                    return false;
            n -= static_cast<int>(k);
            // Spin, but let the receiver (and rio's progress thread) have the vCPU, as
            // rio_bench.cpp's polled waits do: this machine has two.
            if (k == 0)
                std::this_thread::yield();
        }
        return true;
    }

    const RIO_EXTENSION_FUNCTION_TABLE& t_;
    alignas(8) std::array<char, 128> region_{};
    RIO_CQ cq_ = RIO_INVALID_CQ;
    RIO_RQ rq_ = RIO_INVALID_RQ;
    RIO_BUFFERID id_ = RIO_INVALID_BUFFERID;
    RIO_BUF data_{};
    RIO_BUF address_{};
};

void BM_UdpRate64_RioDefer32(benchmark::State& state) {
    RatePair pair;
    if (!pair.ok()) {
        state.SkipWithError("UDP socket set-up failed");
        return;
    }
    DeferSender sender(pair.tx, pair.to);
    if (!sender.ok()) {
        state.SkipWithError("RIO set-up failed");
        return;
    }
    RateCounter c;
    std::thread rx([&] { receive_mmsg(pair.rx, c); });
    finish_rate(state, pair, c, rx, [&](std::uint64_t g, int n) { return sender.send(g, n); });
}
BENCHMARK(BM_UdpRate64_RioDefer32)->UseManualTime();

} // namespace
} // namespace riosp::bench::udp
