// What closesocket does to the connection and to the calls still running on the socket. A
// close that leaves received data unread resets the connection, wherever the data waits: in the
// kernel, in the socket's receive ring, behind a receive that took part of it (RFC 1122
// 4.2.2.13: "If such a host issues a CLOSE call while received data is still pending in TCP,
// or if new data is received after CLOSE is called, its TCP SHOULD send a RST to show that data
// was lost"). A blocking call that the close ends fails with WSAEINTR (Windows Sockets 2
// specification, 2.7: "Closing a socket in one thread that has an outstanding blocking call on
// the same socket in another thread will cause the blocking call to fail with WSAEINTR ... This
// also applies if there is a select() call outstanding"), an overlapped one with
// WSA_OPERATION_ABORTED.
#include "provider_fixture.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Waits until `s` holds at least `n` received bytes nobody has read (FIONREAD: the ring and the
// kernel); false after 5 s.
bool wait_unread(SOCKET s, u_long n) {
    const auto until = Clock::now() + 5s;
    u_long have = 0;
    while (ws::ioctlsocket(s, FIONREAD, &have) == 0 && have < n && Clock::now() < until)
        std::this_thread::sleep_for(1ms);
    return have >= n;
}

// The peer's view of the end of the connection: 0 for a FIN, ECONNRESET for a reset.
int peer_end(int peer, std::string& got) {
    return bsd::read_to_end(peer, got, 5000);
}

#define SKIP_WITHOUT_RESETS()                                                                      \
    if (!bsd::tcp_resets_work())                                                                   \
    GTEST_SKIP() << "this system's TCP does not reset a connection closed with unread data"

TEST_F(ProviderTest, ClosingWithUnreadDataInTheKernelResetsThePeer) {
    SKIP_WITHOUT_RESETS();
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(bsd::send_all(peer, std::string(4096, 'k')), 0);
    ASSERT_TRUE(wait_unread(s, 4096));
    ASSERT_EQ(ws::closesocket(s), 0);
    std::string got;
    EXPECT_EQ(peer_end(peer, got), ECONNRESET) << "the peer must learn that its data was lost";
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, ClosingWithUnreadDataInTheReceiveRingResetsThePeer) {
    SKIP_WITHOUT_RESETS();
    int peer = -1;
    SOCKET s = connect_pair(peer);
    // An FD_READ selection takes data into the socket's ring as it arrives (as Winsock does).
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(s, ev, FD_READ), 0);
    ASSERT_EQ(bsd::send_all(peer, std::string(4096, 'r')), 0);
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ASSERT_TRUE(wait_unread(s, 4096));
    ASSERT_EQ(ws::closesocket(s), 0);
    std::string got;
    EXPECT_EQ(peer_end(peer, got), ECONNRESET);
    ws::WSACloseEvent(ev);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, ClosingWithTheRestOfAReceivedMessageUnreadResetsThePeer) {
    SKIP_WITHOUT_RESETS();
    int peer = -1;
    SOCKET s = connect_pair(peer);
    char first[10] = {};
    WSABUF b{sizeof first, first};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_overlapped_recv(s, b, ov), WSA_IO_PENDING);
    ASSERT_EQ(bsd::send_all(peer, std::string(4096, 'p')), 0);
    DWORD bytes = 0;
    DWORD flags = 0;
    ASSERT_TRUE(ws::WSAGetOverlappedResult(s, &ov, &bytes, TRUE, &flags));
    ASSERT_EQ(bytes, sizeof first);
    ASSERT_TRUE(wait_unread(s, 4096 - sizeof first));
    ASSERT_EQ(ws::closesocket(s), 0);
    std::string got;
    EXPECT_EQ(peer_end(peer, got), ECONNRESET);
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, ClosingAfterRecvDisconnectWithDataThatKeptArrivingResetsThePeer) {
    SKIP_WITHOUT_RESETS();
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(ws::WSARecvDisconnect(s, nullptr), 0);
    // SD_RECEIVE refuses receives but keeps accepting data: no reset when it arrives.
    ASSERT_EQ(bsd::send_all(peer, std::string(4096, 'a')), 0);
    std::this_thread::sleep_for(50ms);
    ASSERT_EQ(ws::closesocket(s), 0);
    std::string got;
    EXPECT_EQ(peer_end(peer, got), ECONNRESET);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, ClosingWithEverythingReadIsAFinAfterEveryQueuedByte) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(bsd::send_all(peer, "ping"), 0);
    char in[4];
    ASSERT_EQ(ws::recv(s, in, sizeof in, 0), 4);
    const std::string out(32 * 1024, 'q');
    ASSERT_EQ(send_str(s, out), static_cast<int>(out.size()));
    ASSERT_EQ(ws::closesocket(s), 0);
    std::string got;
    EXPECT_EQ(peer_end(peer, got), 0) << "nothing was left unread: a graceful FIN";
    EXPECT_EQ(got, out);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, CloseFromAnotherThreadFailsABlockingReceiveWithWsaeintr) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    std::atomic<int> rc{0}, err{0};
    std::atomic<bool> done{false};
    std::thread blocked([&] {
        char buf[16];
        rc = ws::recv(s, buf, sizeof buf, 0);
        err = ws::WSAGetLastError();
        done = true;
    });
    std::this_thread::sleep_for(50ms);
    ASSERT_FALSE(done.load()) << "nothing was sent: the receive must still be waiting";
    const auto t0 = Clock::now();
    ASSERT_EQ(ws::closesocket(s), 0);
    blocked.join();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(rc.load(), SOCKET_ERROR);
    EXPECT_EQ(err.load(), WSAEINTR);
    // The close still ends the connection gracefully: the peer reads its FIN.
    EXPECT_EQ(bsd::drain_to_eof(peer, 5000), 0);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, CloseFailsAQueuedBlockingReceiveWithWsaeintrAndAbortsTheOverlappedOne) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    char first[4] = {};
    WSABUF b{sizeof first, first};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_overlapped_recv(s, b, ov), WSA_IO_PENDING);
    std::atomic<int> rc{0}, err{0};
    std::thread blocking([&] {
        char buf[8];
        rc = ws::recv(s, buf, sizeof buf, 0); // queued behind the overlapped receive
        err = ws::WSAGetLastError();
    });
    std::this_thread::sleep_for(50ms);
    ASSERT_EQ(ws::closesocket(s), 0);
    blocking.join();
    EXPECT_EQ(rc.load(), SOCKET_ERROR);
    EXPECT_EQ(err.load(), WSAEINTR);
    DWORD bytes = 0;
    DWORD flags = 0;
    EXPECT_FALSE(ws::WSAGetOverlappedResult(s, &ov, &bytes, TRUE, &flags));
    EXPECT_EQ(ws::WSAGetLastError(), WSA_OPERATION_ABORTED);
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, CloseFailsABlockingSendWaitingForRoomWithWsaeintr) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    // The peer reads nothing: the kernel's buffers and the send ring fill, and the send waits.
    const std::vector<char> big(32 * 1024 * 1024, 's');
    std::atomic<int> rc{0}, err{0};
    std::atomic<bool> done{false};
    std::thread blocked([&] {
        rc = ws::send(s, big.data(), static_cast<int>(big.size()), 0);
        err = ws::WSAGetLastError();
        done = true;
    });
    std::this_thread::sleep_for(200ms);
    ASSERT_FALSE(done.load()) << "the send must be waiting for room";
    ASSERT_EQ(ws::closesocket(s), 0);
    blocked.join();
    EXPECT_EQ(rc.load(), SOCKET_ERROR);
    EXPECT_EQ(err.load(), WSAEINTR);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, CloseFailsASelectWaitingOnTheSocketWithWsaeintr) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    std::atomic<int> rc{0}, err{0};
    std::atomic<bool> done{false};
    std::thread selecting([&] {
        fd_set readable{};
        readable.fd_count = 1;
        readable.fd_array[0] = s;
        timeval five{5, 0};
        rc = ws::select(0, &readable, nullptr, nullptr, &five);
        err = ws::WSAGetLastError();
        done = true;
    });
    std::this_thread::sleep_for(50ms);
    ASSERT_FALSE(done.load()) << "nothing was sent: select must still be waiting";
    const auto t0 = Clock::now();
    ASSERT_EQ(ws::closesocket(s), 0);
    selecting.join();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(rc.load(), SOCKET_ERROR);
    EXPECT_EQ(err.load(), WSAEINTR);
    bsd::close_socket(peer);
}

} // namespace
} // namespace riosp::test
