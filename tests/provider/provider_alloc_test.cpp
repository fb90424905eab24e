// The disconnect paths never allocate: WSPSendDisconnect, WSPRecvDisconnect, WSPShutdown and
// WSPCloseSocket, their error paths (WSAENOTCONN, WSAENOTSOCK, WSAESHUTDOWN, WSAENOPROTOOPT) and
// all the worker-side work they cause (FIN, completions, cancellation, recycling the socket's
// slot and request queue), in steady state after warm-up. Every malloc/free and operator
// new/delete on every thread is counted (support/alloc_counter.h). Each cycle runs twice:
// on a plain connection (no request queue: everything happens in the calling thread) and on
// one whose FD_READ/FD_CLOSE selection keeps a RIO receive in flight (the peer's FIN completes
// on a worker, the close cancels and recycles a request queue). And a mass close: 5,000 such
// sockets at once, more request queues than rio's pool of them once held.
//
// RIOSP_ALLOC_TEST_CYCLES overrides the number of counted cycles (default 50,000 of each kind in
// release builds). The same binary run against the deliberately allocating provider build
// (riosp_provider_alloc_canary) must fail: see the CTest entry provider_alloc_canary.
#include "provider_fixture.h"
#include "support/alloc_counter.h"

#include <dlfcn.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int default_cycles = 1'000; // sanitizers are ~10x slower; the hooks count the same
#else
constexpr int default_cycles = 50'000; // each on both kinds of connection: 100,000 in all
#endif
constexpr int warmup_cycles = 200;

int cycles() {
    if (const char* env = std::getenv("RIOSP_ALLOC_TEST_CYCLES"))
        return std::atoi(env);
    return default_cycles;
}

using InUseFn = int (*)();

InUseFn sockets_in_use_fn() {
    const char* path = std::getenv("RIOSP_PROVIDER_PATH");
    void* module = dlopen(path != nullptr ? path : RIOSP_PROVIDER_DEFAULT, RTLD_NOW | RTLD_NOLOAD);
    return module == nullptr ? nullptr
                             : reinterpret_cast<InUseFn>(dlsym(module, "riospSocketsInUse"));
}

class ProviderAllocTest : public ProviderTest {
protected:
    // One disconnect cycle on a fresh connection, plain or ring-backed (see the file comment).
    // Only the part between the two markers is counted when `counted` is set; connecting and
    // selecting events are outside the promise.
    bool cycle(bool counted, InUseFn in_use, SOCKET unconnected) {
        return cycle_on(counted, in_use, unconnected, false) &&
               cycle_on(counted, in_use, unconnected, true);
    }
    bool cycle_on(bool counted, InUseFn in_use, SOCKET unconnected, bool ring_backed) {
        int peer = -1;
        SOCKET s = connect_pair(peer);
        if (s == INVALID_SOCKET || peer < 0)
            return false;
        if (ring_backed) {
            if (event_ == nullptr)
                event_ = ws::WSACreateEvent();
            if (ws::WSAEventSelect(s, event_, FD_READ | FD_CLOSE) != 0)
                return false;
        }
        if (counted)
            alloc::start();
        bool ok = ws::WSASendDisconnect(s, nullptr) == 0; // FIN after the queue
        ok = ok && bsd::drain_to_eof(peer, 5000) == 0;    // the peer sees EOF
        ok = ok && ws::send(s, "x", 1, 0) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSAESHUTDOWN; // error path
        char data[1] = {1};
        WSABUF with_data{1, data};
        ok = ok && ws::WSASendDisconnect(s, &with_data) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSAENOPROTOOPT; // error path
        ok = ok && ws::WSARecvDisconnect(s, nullptr) == 0;
        ok = ok && ws::shutdown(s, SD_BOTH) == 0;
        ok = ok && ws::WSASendDisconnect(unconnected, nullptr) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSAENOTCONN; // error path
        bsd::shut(peer, bsd::Shut::wr);            // peer FIN: completion
        ok = ok && ws::closesocket(s) == 0;        // graceful close
        ok = ok && ws::closesocket(s) == SOCKET_ERROR && ws::WSAGetLastError() == WSAENOTSOCK;
        // Worker side: wait until the socket's last request completed and its slot was recycled.
        for (int i = 0; i < 5000 && in_use() > 1; ++i)
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        ok = ok && in_use() == 1; // only `unconnected` remains
        if (counted) {
            alloc::Counts c = alloc::stop();
            counted_.allocations += c.allocations;
            counted_.frees += c.frees;
        }
        bsd::close_socket(peer);
        return ok;
    }

    void TearDown() override {
        if (event_ != nullptr)
            ws::WSACloseEvent(event_);
        ProviderTest::TearDown();
    }

    alloc::Counts counted_;
    WSAEVENT event_ = nullptr;
};

TEST_F(ProviderAllocTest, DisconnectPathsNeverAllocateOnAnyThread) {
    InUseFn in_use = sockets_in_use_fn();
    ASSERT_NE(in_use, nullptr) << "the provider exports riospSocketsInUse";
    SOCKET unconnected = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(unconnected, INVALID_SOCKET);
    for (int i = 0; i < warmup_cycles; ++i)
        ASSERT_TRUE(cycle(false, in_use, unconnected)) << "warm-up cycle " << i;
    const int n = cycles();
    for (int i = 0; i < n; ++i)
        ASSERT_TRUE(cycle(true, in_use, unconnected)) << "cycle " << i;
    ws::closesocket(unconnected);
    RecordProperty("cycles", n);
    RecordProperty("allocations", static_cast<int>(counted_.allocations));
    RecordProperty("frees", static_cast<int>(counted_.frees));
    EXPECT_EQ(counted_.allocations, 0u) << "allocations in " << n << " disconnect cycles";
    EXPECT_EQ(counted_.frees, 0u) << "frees in " << n << " disconnect cycles";
}

// The steady state above is one thread's; an application's other threads come to the
// disconnect calls cold. Each fresh thread's first disconnect cycle is counted: whatever the
// provider touches for the first time per thread (a thread_local of the dlopen'ed module
// allocates that thread's TLS block) must not be on these paths — riosp-load's per-thread
// counters once saw 8 such allocations. Outside the count: creating the thread and its
// connection. (The host, ws2_32's stand-in, sets up data of its own for a thread only at its
// first call with a completion routine, which these paths never make.)
TEST_F(ProviderAllocTest, AFreshThreadsFirstDisconnectAllocatesNothing) {
    InUseFn in_use = sockets_in_use_fn();
    ASSERT_NE(in_use, nullptr);
    SOCKET unconnected = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(unconnected, INVALID_SOCKET);
    for (int i = 0; i < warmup_cycles; ++i) // the provider's own warm-up, on this thread
        ASSERT_TRUE(cycle(false, in_use, unconnected)) << "warm-up cycle " << i;
    for (int t = 0; t < 8; ++t) {
        bool ok = false;
        std::thread fresh([&] { ok = cycle(true, in_use, unconnected); });
        fresh.join();
        ASSERT_TRUE(ok) << "thread " << t;
    }
    ws::closesocket(unconnected);
    EXPECT_EQ(counted_.allocations, 0u) << "allocations in the first cycle of 8 fresh threads";
    EXPECT_EQ(counted_.frees, 0u);
}

// A blocking receive waits in its own thread (rio/caller.h): the plain blocking system call, so
// a thread needs nothing of its own set up for it (a per-thread io_uring, measured and dropped,
// cost 2 allocations at a thread's first blocking call). A fresh thread's first blocking
// receive, its later ones and its disconnect cycle after them allocate nothing; the first is
// also reported (property first_blocking_receive_allocations).
TEST_F(ProviderAllocTest, AFreshThreadsBlockingReceivesAllocateNothingFromTheFirstOn) {
    InUseFn in_use = sockets_in_use_fn();
    ASSERT_NE(in_use, nullptr);
    SOCKET unconnected = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(unconnected, INVALID_SOCKET);
    for (int i = 0; i < warmup_cycles; ++i)
        ASSERT_TRUE(cycle(false, in_use, unconnected)) << "warm-up cycle " << i;
    std::size_t first = 0;
    alloc::Counts later;
    bool ok = false;
    std::thread fresh([&] {
        int peer = -1;
        SOCKET s = connect_pair(peer);
        if (s == INVALID_SOCKET)
            return;
        // The peer's bytes come from a thread of its own, started before anything is counted,
        // 20 ms after each receive has started waiting.
        std::atomic<int> asked{0};
        std::atomic<bool> stop{false};
        std::atomic<bool> running{false};
        std::thread sender([&] {
            running = true;
            for (int sent = 0; !stop.load();) {
                if (asked.load() == sent) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    continue;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                (void)bsd::send_now(peer, "y", 1);
                ++sent;
            }
        });
        while (!running.load()) // its own start-up (a sanitizer's thread set-up) is not counted
            std::this_thread::yield();
        auto blocking_receive = [&] {
            asked.fetch_add(1);
            char c = 0;
            return ws::recv(s, &c, 1, 0) == 1 && c == 'y';
        };
        alloc::start();
        ok = blocking_receive();
        first = alloc::stop().allocations;
        for (int i = 0; ok && i < 20; ++i) {
            alloc::start();
            ok = blocking_receive();
            alloc::Counts c = alloc::stop();
            later.allocations += c.allocations;
            later.frees += c.frees;
        }
        stop.store(true);
        sender.join();
        ws::closesocket(s);
        bsd::close_socket(peer);
        ok = ok && cycle(true, in_use, unconnected);
    });
    fresh.join();
    ws::closesocket(unconnected);
    ASSERT_TRUE(ok);
    RecordProperty("first_blocking_receive_allocations", static_cast<int>(first));
    std::printf("a fresh thread's first blocking receive: %zu allocations\n", first);
    EXPECT_EQ(first, 0u) << "allocations in a fresh thread's first blocking receive";
    EXPECT_EQ(later.allocations, 0u) << "allocations in 20 later blocking receives";
    EXPECT_EQ(later.frees, 0u);
    EXPECT_EQ(counted_.allocations, 0u) << "allocations in the thread's disconnect cycle";
    EXPECT_EQ(counted_.frees, 0u);
}

// The same promise for datagram sockets (docs/half-close.md, datagram rules): the disconnect
// paths and their error paths, a close that aborts a pending overlapped receive, and, in steady
// state, datagrams both ways in each mode (blocking, overlapped through the rings). Creating and
// binding the two sockets are outside the count.
TEST_F(ProviderAllocTest, DatagramPathsNeverAllocateOnAnyThread) {
    InUseFn in_use = sockets_in_use_fn();
    ASSERT_NE(in_use, nullptr);
    const int base = in_use();
    const auto bound = [](std::uint16_t& port) {
        SOCKET s = ws::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        sockaddr_in a = loopback(0);
        int len = sizeof a;
        if (s == INVALID_SOCKET || ws::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ws::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            return INVALID_SOCKET;
        port = static_cast<std::uint16_t>((a.sin_port >> 8) | ((a.sin_port & 0xff) << 8));
        return s;
    };
    WSAEVENT ev = ws::WSACreateEvent();
    const auto cycle = [&](bool counted) {
        std::uint16_t pa = 0, pb = 0;
        SOCKET a = bound(pa);
        SOCKET b = bound(pb);
        if (a == INVALID_SOCKET || b == INVALID_SOCKET)
            return false;
        sockaddr_in to_b = loopback(pb);
        const auto* to = reinterpret_cast<const sockaddr*>(&to_b);
        char buf[64];
        if (counted)
            alloc::start();
        // Steady-state datagrams: blocking both ways, then an overlapped receive that waits for
        // its datagram through the ring.
        bool ok = ws::sendto(a, "ping", 4, 0, to, sizeof to_b) == 4;
        ok = ok && ws::recv(b, buf, sizeof buf, 0) == 4;
        WSABUF wb{sizeof buf, buf};
        WSAOVERLAPPED ov{};
        ov.hEvent = ev;
        DWORD flags = 0;
        ok = ok && ws::WSARecv(b, &wb, 1, nullptr, &flags, &ov, nullptr) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSA_IO_PENDING;
        ok = ok && ws::sendto(a, "pong", 4, 0, to, sizeof to_b) == 4;
        DWORD bytes = 0;
        ok = ok && ws::WSAGetOverlappedResult(b, &ov, &bytes, TRUE, &flags) && bytes == 4;
        ws::WSAResetEvent(ev);
        // The disconnect paths and their errors.
        ok = ok && ws::WSASendDisconnect(a, nullptr) == 0;
        ok = ok && ws::sendto(a, "x", 1, 0, to, sizeof to_b) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSAESHUTDOWN;
        char data[1] = {1};
        WSABUF with_data{1, data};
        ok = ok && ws::WSASendDisconnect(a, &with_data) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSAENOPROTOOPT;
        ok = ok && ws::WSARecvDisconnect(a, nullptr) == 0;
        ok = ok && ws::recv(a, buf, sizeof buf, 0) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSAESHUTDOWN;
        ok = ok && ws::shutdown(b, SD_BOTH) == 0;
        ok = ok && ws::closesocket(a) == 0;
        ok = ok && ws::closesocket(a) == SOCKET_ERROR && ws::WSAGetLastError() == WSAENOTSOCK;
        // A close that aborts a pending overlapped receive (on a fresh receiving socket: b's
        // receive side is shut).
        std::uint16_t pc = 0;
        const auto add = [&](const alloc::Counts& n) {
            counted_.allocations += n.allocations;
            counted_.frees += n.frees;
        };
        if (counted)
            add(alloc::stop()); // creating and binding are outside the count
        SOCKET c = bound(pc);
        if (counted)
            alloc::start();
        ov = WSAOVERLAPPED{};
        ov.hEvent = ev;
        ok = ok && c != INVALID_SOCKET &&
             ws::WSARecv(c, &wb, 1, nullptr, &flags, &ov, nullptr) == SOCKET_ERROR &&
             ws::WSAGetLastError() == WSA_IO_PENDING;
        ok = ok && ws::closesocket(c) == 0;
        ok = ok && !ws::WSAGetOverlappedResult(c, &ov, &bytes, TRUE, &flags) &&
             ws::WSAGetLastError() == WSA_OPERATION_ABORTED;
        ws::WSAResetEvent(ev);
        ok = ok && ws::closesocket(b) == 0;
        for (int i = 0; i < 5000 && in_use() > base; ++i)
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        ok = ok && in_use() == base;
        if (counted)
            add(alloc::stop());
        return ok;
    };
    for (int i = 0; i < warmup_cycles; ++i)
        ASSERT_TRUE(cycle(false)) << "warm-up cycle " << i;
    const int n = std::max(cycles() / 10, 100); // each cycle is three sockets' lives
    for (int i = 0; i < n; ++i)
        ASSERT_TRUE(cycle(true)) << "cycle " << i;
    ws::WSACloseEvent(ev);
    RecordProperty("datagram_cycles", n);
    EXPECT_EQ(counted_.allocations, 0u) << "allocations in " << n << " datagram cycles";
    EXPECT_EQ(counted_.frees, 0u) << "frees in " << n << " datagram cycles";
}

// A mass close after a peak of connections: more sockets with a request queue (FD_READ
// selected, so a ring receive is in flight on each) close at once than the pool of destroyed
// request queues once held (4,096). Neither the closing thread nor the workers allocate or
// free, after a warm-up round of the same size; connecting is outside the count.
TEST_F(ProviderAllocTest, AMassCloseBeyondTheRequestQueuePoolAllocatesNothing) {
    constexpr std::size_t n = 5000;
    rlimit lim{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < 2 * n + 512) { // each connection is two descriptors here
        lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 2 * n + 512);
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < 2 * n + 512)
            GTEST_SKIP() << "RLIMIT_NOFILE's hard limit is below " << 2 * n + 512;
    }
    InUseFn in_use = sockets_in_use_fn();
    ASSERT_NE(in_use, nullptr);
    const int base = in_use();
    event_ = ws::WSACreateEvent();
    std::vector<SOCKET> sockets;
    std::vector<int> peers;
    sockets.reserve(n);
    peers.reserve(n);
    const auto open_all = [&] {
        for (std::size_t i = 0; i < n; ++i) {
            int peer = -1;
            const SOCKET s = connect_pair(peer);
            if (s == INVALID_SOCKET || peer < 0 ||
                ws::WSAEventSelect(s, event_, FD_READ | FD_CLOSE) != 0)
                return false;
            sockets.push_back(s);
            peers.push_back(peer);
        }
        return true;
    };
    const auto close_all = [&] {
        bool ok = true;
        for (const SOCKET s : sockets)
            ok = ws::closesocket(s) == 0 && ok;
        // Until the workers have recycled every socket and its request queue.
        for (int i = 0; i < 100'000 && in_use() > base; ++i)
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        return ok && in_use() == base;
    };
    const auto close_peers = [&] {
        for (const int p : peers)
            bsd::close_socket(p);
        sockets.clear();
        peers.clear();
    };
    ASSERT_TRUE(open_all()) << "warm-up";
    ASSERT_TRUE(close_all()) << "warm-up";
    close_peers();
    ASSERT_TRUE(open_all());
    alloc::start();
    const bool closed = close_all();
    const alloc::Counts c = alloc::stop();
    close_peers();
    ASSERT_TRUE(closed);
    RecordProperty("mass_close_allocations", static_cast<int>(c.allocations));
    EXPECT_EQ(c.allocations, 0u) << "allocations in a close of " << n << " sockets";
    EXPECT_EQ(c.frees, 0u) << "frees in a close of " << n << " sockets";
}

TEST(AllocCounter, SeesAnAllocationOnAnotherThread) {
    alloc::start();
    std::thread t([] {
        auto* p = new int(42);
        delete p;
    });
    t.join();
    alloc::Counts c = alloc::stop();
    EXPECT_GE(c.allocations, 1u);
    EXPECT_GE(c.frees, 1u);
}

} // namespace
} // namespace riosp::test

namespace riosp::test {
namespace {

// Deep pipelines (provider/op_queue.h): a socket's queue of waiting operations grows the first
// time it needs a depth, and keeps that storage, so the same depth again allocates nothing.
TEST_F(ProviderTest, ADeepPipelineAllocatesOnlyTheFirstTimeItReachesItsDepth) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_NE(s, INVALID_SOCKET);
    constexpr int deep = 2000;
    std::vector<char> into(deep);
    std::vector<WSABUF> bufs(deep);
    std::vector<WSAOVERLAPPED> ovs(deep);
    const std::string data(deep, 'd');
    const auto round = [&]() -> bool {
        for (int i = 0; i < deep; ++i) {
            bufs[i] = WSABUF{1, &into[i]};
            ovs[i] = WSAOVERLAPPED{};
            DWORD flags = 0;
            if (ws::WSARecv(s, &bufs[i], 1, nullptr, &flags, &ovs[i], nullptr) != SOCKET_ERROR ||
                ws::WSAGetLastError() != WSA_IO_PENDING)
                return false;
        }
        if (bsd::send_all(peer, data) != 0)
            return false;
        for (int i = 0; i < deep; ++i) {
            DWORD bytes = 0;
            DWORD flags = 0;
            if (!ws::WSAGetOverlappedResult(s, &ovs[i], &bytes, TRUE, &flags) || bytes != 1)
                return false;
        }
        return true;
    };
    alloc::start();
    ASSERT_TRUE(round());
    const alloc::Counts first = alloc::stop();
    alloc::start();
    ASSERT_TRUE(round());
    const alloc::Counts again = alloc::stop();
    RecordProperty("first_round_allocations", static_cast<int>(first.allocations));
    EXPECT_GT(first.allocations, 0u) << "the first round grows the queue";
    EXPECT_EQ(again.allocations, 0u) << "the same depth again";
    EXPECT_EQ(again.frees, 0u);
    ws::closesocket(s);
    bsd::close_socket(peer);
}

// A close that aborts thousands of overlapped receives with completion routines, and the
// alertable wait that runs them: no record per routine in the provider (the routine waits in
// its WSAOVERLAPPED), and the host's APC queue keeps its storage, so once a thread's queue has
// held that many, the same again allocates nothing on any thread.
TEST_F(ProviderTest, ACloseThatAbortsThousandsOfRoutinesAllocatesNothingOnceTheQueueHasGrown) {
    constexpr int depth = 4000; // a socket queues at most 4,096 operations per direction
    static int ran = 0;
    struct Routine {
        static void CALLBACK count(DWORD, DWORD, LPWSAOVERLAPPED, DWORD) { ++ran; }
    };
    std::vector<char> into(depth);
    std::vector<WSAOVERLAPPED> ovs(depth);
    const auto round = [&](alloc::Counts& counted) -> bool {
        int peer = -1;
        SOCKET s = connect_pair(peer);
        if (s == INVALID_SOCKET)
            return false;
        for (int i = 0; i < depth; ++i) {
            WSABUF b{1, &into[static_cast<std::size_t>(i)]};
            ovs[static_cast<std::size_t>(i)] = WSAOVERLAPPED{};
            DWORD flags = 0;
            if (ws::WSARecv(s, &b, 1, nullptr, &flags, &ovs[static_cast<std::size_t>(i)],
                            Routine::count) != SOCKET_ERROR ||
                ws::WSAGetLastError() != WSA_IO_PENDING)
                return false;
        }
        ran = 0;
        alloc::start();
        bool ok = ws::closesocket(s) == 0;
        for (int i = 0; i < 100 && ran < depth; ++i)
            (void)ws::SleepEx(50, TRUE);
        counted = alloc::stop();
        bsd::close_socket(peer);
        return ok && ran == depth;
    };
    alloc::Counts first, again;
    ASSERT_TRUE(round(first));
    ASSERT_TRUE(round(again));
    RecordProperty("first_round_allocations", static_cast<int>(first.allocations));
    EXPECT_EQ(again.allocations, 0u) << "the same number of routines again";
    EXPECT_EQ(again.frees, 0u);
}

} // namespace
} // namespace riosp::test
