// WSPSelect: every socket of the caller's sets is served, however many (an application may
// #define FD_SETSIZE above 64, as Windows allows), and a select that waits sleeps in one wait,
// woken by the kernel or by whoever changes what riosp holds (a worker filling a ring).
#include "provider_fixture.h"

#ifndef _WIN32
#include <sys/resource.h>
#endif

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// An fd_set as an application that defines FD_SETSIZE 256 has it: the same layout, a longer
// array (Windows' FD_SET macros and select take it through a cast).
struct BigSet {
    u_int fd_count = 0;
    SOCKET fd_array[256];
    fd_set* get() { return reinterpret_cast<fd_set*>(this); }
    bool has(SOCKET s) const {
        for (u_int i = 0; i < fd_count; ++i)
            if (fd_array[i] == s)
                return true;
        return false;
    }
};
static_assert(offsetof(BigSet, fd_array) == offsetof(fd_set, fd_array));

TEST_F(ProviderTest, SelectServesEverySocketOfASetLargerThan64) {
    constexpr int n = 150;
    std::vector<SOCKET> socks(n);
    std::vector<int> peers(n);
    for (int i = 0; i < n; ++i) {
        socks[static_cast<std::size_t>(i)] = connect_pair(peers[static_cast<std::size_t>(i)]);
        ASSERT_NE(socks[static_cast<std::size_t>(i)], INVALID_SOCKET);
    }
    // Bytes for three sockets, all beyond the 64th place of the set.
    const std::vector<int> sending = {70, 111, 149};
    for (int i : sending)
        ASSERT_EQ(bsd::send_all(peers[static_cast<std::size_t>(i)], "x"), 0);
    BigSet r, w;
    for (SOCKET s : socks) {
        r.fd_array[r.fd_count++] = s;
        w.fd_array[w.fd_count++] = s;
    }
    timeval two{2, 0};
    const int ready = ws::select(0, r.get(), w.get(), nullptr, &two);
    ASSERT_NE(ready, SOCKET_ERROR) << ws::WSAGetLastError();
    EXPECT_EQ(w.fd_count, static_cast<u_int>(n)) << "every socket is writable";
    EXPECT_EQ(r.fd_count, sending.size()) << "exactly the sockets with bytes are readable";
    for (int i : sending)
        EXPECT_TRUE(r.has(socks[static_cast<std::size_t>(i)])) << i;
    EXPECT_EQ(ready, static_cast<int>(r.fd_count + w.fd_count));
    for (int i = 0; i < n; ++i) {
        ws::closesocket(socks[static_cast<std::size_t>(i)]);
        bsd::close_socket(peers[static_cast<std::size_t>(i)]);
    }
}

TEST_F(ProviderTest, SelectWaitingOnAReceiveRingWakesWhenAWorkerFillsIt) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    // A receive waits through the ring: the kernel's bytes go to a worker, not to this select,
    // which is woken by the worker's completion.
    char first = 0;
    WSABUF b{1, &first};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_overlapped_recv(s, b, ov), WSA_IO_PENDING);
    std::atomic<int> rc{-2};
    std::atomic<Clock::rep> returned{0};
    std::thread selecting([&] {
        fd_set r{};
        FD_SET(s, &r);
        timeval ten{10, 0};
        rc = ws::select(0, &r, nullptr, nullptr, &ten);
        returned = Clock::now().time_since_epoch().count();
    });
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(rc.load(), -2) << "nothing was sent: select must still be waiting";
    const auto sent = Clock::now();
    ASSERT_EQ(bsd::send_all(peer, "ab"), 0);
    selecting.join();
    EXPECT_EQ(rc.load(), 1);
    EXPECT_LT(Clock::time_point(Clock::duration(returned.load())) - sent, 2s)
        << "woken by the bytes, not by its timeout";
    DWORD bytes = 0, flags = 0;
    EXPECT_TRUE(ws::WSAGetOverlappedResult(s, &ov, &bytes, TRUE, &flags));
    char second = 0;
    EXPECT_EQ(ws::recv(s, &second, 1, 0), 1);
    EXPECT_EQ(std::string() + first + second, "ab");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

// Race reproducer for the wake-up: selects in two threads wait without a timeout on four
// sockets whose bytes all come through their receive rings (FD_READ selected), so only the
// workers' wake-ups make them readable, while a feeder sends and both threads receive. Every byte
// is seen within 30 s: a wake-up lost between a select's look and its sleep would leave the last
// bytes in a ring with both threads asleep. Closing the sockets ends the selects (WSAEINTR).
TEST_F(ProviderTest, SelectsInSeveralThreadsSeeEveryByteTheWorkersBringIn) {
    constexpr int pairs = 4;
    constexpr int bytes = 400;
    std::array<SOCKET, pairs> socks{};
    std::array<int, pairs> peers{};
    WSAEVENT ev = ws::WSACreateEvent();
    for (int i = 0; i < pairs; ++i) {
        socks[static_cast<std::size_t>(i)] = connect_pair(peers[static_cast<std::size_t>(i)]);
        ASSERT_EQ(ws::WSAEventSelect(socks[static_cast<std::size_t>(i)], ev, FD_READ), 0);
    }
    std::atomic<int> received{0};
    std::atomic<int> unexpected{0};
    const auto select_and_receive = [&] {
        for (;;) {
            fd_set r{};
            for (SOCKET s : socks)
                FD_SET(s, &r);
            if (ws::select(0, &r, nullptr, nullptr, nullptr) == SOCKET_ERROR) {
                if (ws::WSAGetLastError() != WSAEINTR && ws::WSAGetLastError() != WSAENOTSOCK)
                    unexpected.fetch_add(1);
                return; // the sockets were closed: the end
            }
            for (u_int i = 0; i < r.fd_count; ++i) {
                char buf[64];
                const int got = ws::recv(r.fd_array[i], buf, sizeof buf, 0);
                if (got > 0)
                    received.fetch_add(got);
                else if (got == SOCKET_ERROR && ws::WSAGetLastError() == WSAENOTSOCK)
                    return;
                else if (got == 0 || ws::WSAGetLastError() != WSAEWOULDBLOCK)
                    unexpected.fetch_add(1); // the other thread may have taken them: nothing else
            }
        }
    };
    std::thread a(select_and_receive), b(select_and_receive);
    for (int k = 0; k < bytes; ++k) {
        ASSERT_EQ(bsd::send_all(peers[static_cast<std::size_t>(k % pairs)], "z"), 0);
        if (k % 16 == 0)
            std::this_thread::sleep_for(1ms); // let the selects fall asleep now and then
    }
    const auto deadline = Clock::now() + 30s;
    while (received.load() < bytes && Clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    EXPECT_EQ(received.load(), bytes) << "bytes left in a ring with every select asleep";
    for (SOCKET s : socks)
        ws::closesocket(s);
    a.join();
    b.join();
    EXPECT_EQ(unexpected.load(), 0);
    for (int peer : peers)
        bsd::close_socket(peer);
    ws::WSACloseEvent(ev);
}

TEST_F(ProviderTest, ASelectThatWaitsSleepsInOneWaitInsteadOfPolling) {
#ifdef _WIN32
    GTEST_SKIP() << "counts the thread's context switches (Linux's RUSAGE_THREAD)";
#else
    int peer = -1;
    SOCKET s = connect_pair(peer);
    long switches = -1;
    int rc = -2;
    std::thread selecting([&] {
        fd_set r{};
        FD_SET(s, &r);
        timeval wait{0, 300'000};
        rusage before{}, after{};
        (void)getrusage(RUSAGE_THREAD, &before);
        rc = ws::select(0, &r, nullptr, nullptr, &wait);
        (void)getrusage(RUSAGE_THREAD, &after);
        switches = after.ru_nvcsw - before.ru_nvcsw;
    });
    selecting.join();
    EXPECT_EQ(rc, 0) << "nothing came: the timeout";
    // One sleep for the whole 300 ms (a few more for page faults or a preempted lock); a select
    // that polled with a back-off up to 2 ms went to sleep more than a hundred times.
    EXPECT_LE(switches, 10) << "voluntary context switches while waiting 300 ms";
    bsd::close_socket(peer);
    ws::closesocket(s);
#endif
}

TEST_F(ProviderTest, SelectSeesAConnectFinishWritableAndAFailedOneExceptional) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    SOCKET c = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(c, static_cast<long>(FIONBIO), &on), 0);
    sockaddr_in a = loopback(port);
    const int rc = ws::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ASSERT_TRUE(rc == 0 || ws::WSAGetLastError() == WSAEWOULDBLOCK);
    fd_set w{};
    FD_SET(c, &w);
    timeval two{2, 0};
    EXPECT_EQ(ws::select(0, nullptr, &w, nullptr, &two), 1);
    EXPECT_TRUE(FD_ISSET(c, &w));
    ws::closesocket(c);
    ws::closesocket(ls);

    // A port nobody listens on any more: the connect fails, select says so in exceptfds.
    SOCKET refused = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_EQ(ws::ioctlsocket(refused, static_cast<long>(FIONBIO), &on), 0);
    const int rc2 = ws::connect(refused, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ASSERT_EQ(rc2, SOCKET_ERROR);
    ASSERT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK);
    fd_set w2{}, e2{};
    FD_SET(refused, &w2);
    FD_SET(refused, &e2);
    EXPECT_EQ(ws::select(0, nullptr, &w2, &e2, &two), 1);
    EXPECT_EQ(w2.fd_count, 0u);
    EXPECT_TRUE(FD_ISSET(refused, &e2));
    int err = 0;
    int len = sizeof err;
    EXPECT_EQ(ws::getsockopt(refused, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len),
              0);
    EXPECT_EQ(err, WSAECONNREFUSED);
    ws::closesocket(refused);
}

} // namespace
} // namespace riosp::test
