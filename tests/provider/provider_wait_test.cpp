// Blocking calls wait in their own threads (provider/data_path.cpp, rio/caller.h): what a
// close from another thread does to them, how they keep their order behind overlapped
// receives already waiting, and that receives stay demand-driven (nothing is taken from the
// kernel that nobody asked for, unless FD_READ is selected).
#include "provider_fixture.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace riosp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_F(ProviderTest, CloseFromAnotherThreadEndsABlockedAccept) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    std::atomic<SOCKET> got{0};
    std::atomic<int> err{0};
    std::thread blocked([&] {
        got = ws::accept(ls, nullptr, nullptr);
        err = ws::WSAGetLastError();
    });
    std::this_thread::sleep_for(50ms);
    const auto t0 = Clock::now();
    ASSERT_EQ(ws::closesocket(ls), 0);
    blocked.join();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(got.load(), INVALID_SOCKET);
    EXPECT_EQ(err.load(), WSAEINTR);
}

TEST_F(ProviderTest, ABlockingReceiveQueuesBehindAnOverlappedReceiveAlreadyWaiting) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_NE(s, INVALID_SOCKET);
    char first[3] = {};
    WSABUF b{sizeof first, first};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_overlapped_recv(s, b, ov), WSA_IO_PENDING);
    std::string second;
    std::thread blocking([&] {
        char buf[8];
        const int n = ws::recv(s, buf, sizeof buf, 0);
        if (n > 0)
            second.assign(buf, static_cast<std::size_t>(n));
    });
    std::this_thread::sleep_for(50ms); // the blocking receive is queued by now
    ASSERT_EQ(bsd::send_all(peer, "abcdef"), 0);
    blocking.join();
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    DWORD bytes = 0;
    DWORD flags = 0;
    ASSERT_TRUE(ws::WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    EXPECT_EQ(std::string(first, bytes), "abc"); // the older receive gets the older bytes
    EXPECT_EQ(second, "def");
    ws::WSACloseEvent(ov.hEvent);
    ws::closesocket(s);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, BytesNoReceiveAskedForYetShowInFionreadAndSelect) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_NE(s, INVALID_SOCKET);
    ASSERT_EQ(bsd::send_all(peer, "kernel"), 0);
    // FIONREAD counts them all the same, and select sees them.
    u_long n = 0;
    for (int i = 0; i < 200 && n < 6; ++i) {
        ASSERT_EQ(ws::ioctlsocket(s, static_cast<long>(FIONREAD), &n), 0);
        if (n < 6)
            std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(n, 6U);
    fd_set r{};
    r.fd_count = 1;
    r.fd_array[0] = s;
    timeval zero{};
    EXPECT_EQ(ws::select(0, &r, nullptr, nullptr, &zero), 1);
    char buf[16];
    ASSERT_EQ(ws::recv(s, buf, sizeof buf, 0), 6);
    EXPECT_EQ(std::string(buf, 6), "kernel");
    ws::closesocket(s);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, AnEventSelectionTakesDataInAsItArrivesAndRaisesFdRead) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_NE(s, INVALID_SOCKET);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(s, ev, FD_READ | FD_CLOSE), 0);
    ASSERT_EQ(bsd::send_all(peer, "evt"), 0);
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS events{};
    ASSERT_EQ(ws::WSAEnumNetworkEvents(s, ev, &events), 0);
    EXPECT_NE(events.lNetworkEvents & FD_READ, 0);
    char buf[8];
    EXPECT_EQ(ws::recv(s, buf, sizeof buf, 0), 3); // non-blocking now (the selection)
    ws::closesocket(s);
    ws::WSACloseEvent(ev);
    bsd::close_socket(peer);
}

} // namespace
} // namespace riosp::test
