// The receive flags Windows documents besides MSG_OOB. MSG_PEEK copies the next bytes (the next
// datagram) and leaves them for the next receive, wherever they wait: in riosp's receive ring
// (ring bytes come before the kernel's), in the kernel, or held in a datagram socket's receive
// area. MSG_WAITALL (WSARecv: "The receive request will complete only when ... the buffer
// supplied by the caller is completely full, the connection has been closed, the request has
// been canceled or an error occurred"; WSAEOPNOTSUPP on a non-blocking socket, with MSG_PEEK,
// and on datagram sockets).
#include "provider_datagram_fixture.h"
#include "provider_io_support.h"

#include <chrono>
#include <string>
#include <thread>

namespace riosp::test {
namespace {

std::string recv_str(SOCKET s, int len, int flags) {
    std::string buf(static_cast<std::size_t>(len), '\0');
    const int n = ws::recv(s, buf.data(), len, flags);
    return n < 0 ? "error " + std::to_string(ws::WSAGetLastError())
                 : buf.substr(0, static_cast<std::size_t>(n));
}

TEST_F(ProviderTest, PeekLeavesTheKernelsBytesForTheNextReceive) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(bsd::send_all(peer, "hello"), 0);
    ASSERT_TRUE(wait_unread(s, 5));
    EXPECT_EQ(recv_str(s, 16, MSG_PEEK), "hello");
    ASSERT_TRUE(readable_within(s, 1000)) << "a peek must not consume";
    EXPECT_EQ(recv_str(s, 3, MSG_PEEK), "hel");
    ASSERT_TRUE(readable_within(s, 1000));
    EXPECT_EQ(recv_str(s, 16, 0), "hello");
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, PeekSeesTheBytesInTheReceiveRingFirstAndLeavesThem) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    // A 3-byte overlapped receive takes "abcdef" into the ring; "def" stays there, and "ghi",
    // sent after, in the kernel.
    char first[3] = {};
    WSABUF small{sizeof first, first};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_recv(s, &small, 1, ov), WSA_IO_PENDING);
    ASSERT_EQ(bsd::send_all(peer, "abcdef"), 0);
    DWORD bytes = 0;
    ASSERT_EQ(overlapped_result(s, ov, bytes), 0);
    ASSERT_TRUE(wait_unread(s, 3));
    ASSERT_EQ(bsd::send_all(peer, "ghi"), 0);
    ASSERT_TRUE(wait_unread(s, 6));
    EXPECT_EQ(recv_str(s, 16, MSG_PEEK), "def") << "what the next receive gets: the ring's bytes";
    EXPECT_EQ(recv_str(s, 16, 0), "def");
    ASSERT_TRUE(readable_within(s, 1000)) << "a peek must not consume";
    EXPECT_EQ(recv_str(s, 16, MSG_PEEK), "ghi");
    ASSERT_TRUE(readable_within(s, 1000));
    EXPECT_EQ(recv_str(s, 16, 0), "ghi");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, OverlappedPeekCompletesWithTheBytesAndLeavesThem) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    char buf[16] = {};
    WSABUF b{sizeof buf, buf};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_recv(s, &b, 1, ov, MSG_PEEK), WSA_IO_PENDING);
    ASSERT_EQ(bsd::send_all(peer, "xyz"), 0);
    DWORD bytes = 0;
    ASSERT_EQ(overlapped_result(s, ov, bytes), 0);
    EXPECT_EQ(std::string(buf, bytes), "xyz");
    ASSERT_TRUE(readable_within(s, 1000)) << "a peek must not consume";
    EXPECT_EQ(recv_str(s, 16, 0), "xyz");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, WaitAllReceiveWaitsUntilTheBufferIsFull) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    std::thread sender([&] {
        (void)bsd::send_all(peer, "ab");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        (void)bsd::send_all(peer, "cd");
    });
    EXPECT_EQ(recv_str(s, 4, MSG_WAITALL), "abcd");
    sender.join();
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, WaitAllReceiveEndsAtTheFinWithWhatArrived) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(bsd::send_all(peer, "ab"), 0);
    ASSERT_EQ(bsd::shut(peer, bsd::Shut::wr), 0);
    EXPECT_EQ(recv_str(s, 4, MSG_WAITALL), "ab");
    EXPECT_EQ(recv_str(s, 4, MSG_WAITALL), "") << "then the end of the stream";
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, OverlappedWaitAllCompletesOnlyWhenTheBufferIsFull) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    char buf[4] = {};
    WSABUF b{sizeof buf, buf};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_recv(s, &b, 1, ov, MSG_WAITALL), WSA_IO_PENDING);
    ASSERT_EQ(bsd::send_all(peer, "ab"), 0);
    DWORD bytes = 0;
    EXPECT_EQ(overlapped_result(s, ov, bytes, 200), WSA_WAIT_TIMEOUT) << "2 of 4 bytes: not yet";
    ASSERT_EQ(bsd::send_all(peer, "cd"), 0);
    ASSERT_EQ(overlapped_result(s, ov, bytes), 0);
    EXPECT_EQ(std::string(buf, bytes), "abcd");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, WaitAllIsRefusedOnANonBlockingSocketAndWithPeek) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(bsd::send_all(peer, "abcd"), 0);
    ASSERT_TRUE(wait_unread(s, 4));
    EXPECT_EQ(recv_str(s, 4, MSG_WAITALL | MSG_PEEK), "error " + std::to_string(WSAEOPNOTSUPP));
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(s, FIONBIO, &on), 0);
    EXPECT_EQ(recv_str(s, 4, MSG_WAITALL), "error " + std::to_string(WSAEOPNOTSUPP));
    EXPECT_EQ(recv_str(s, 4, 0), "abcd") << "the refused calls took nothing";
    bsd::close_socket(peer);
    ws::closesocket(s);
}

class ProviderDatagramFlags : public DatagramTest {};

TEST_F(ProviderDatagramFlags, DatagramPeekLeavesTheDatagramForTheNextReceive) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    ASSERT_EQ(send_to(s, port, "dgram"), 5);
    ASSERT_TRUE(readable_within(s, 5000));
    EXPECT_EQ(recv_str(s, 16, MSG_PEEK), "dgram");
    EXPECT_EQ(recv_within(s, 1000), "dgram") << "a peek must not consume";
    ws::closesocket(s);
}

TEST_F(ProviderDatagramFlags, DatagramPeekOfAHeldDatagramLeavesItHeld) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(s, ev, FD_READ), 0); // datagrams are taken in as they arrive
    ASSERT_EQ(send_to(s, port, "one"), 3);
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    EXPECT_EQ(recv_str(s, 16, MSG_PEEK), "one");
    // Shorter than the datagram: the part that fits, WSAEMSGSIZE, and the datagram stays.
    char two[2] = {};
    EXPECT_EQ(ws::recv(s, two, sizeof two, MSG_PEEK), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMSGSIZE);
    EXPECT_EQ(std::string(two, 2), "on");
    EXPECT_EQ(recv_str(s, 16, 0), "one");
    ws::WSACloseEvent(ev);
    ws::closesocket(s);
}

TEST_F(ProviderDatagramFlags, DatagramReceiveWithWaitAllIsRefused) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    ASSERT_EQ(send_to(s, port, "x"), 1);
    ASSERT_TRUE(readable_within(s, 5000));
    EXPECT_EQ(recv_str(s, 16, MSG_WAITALL), "error " + std::to_string(WSAEOPNOTSUPP));
    EXPECT_EQ(recv_within(s, 1000), "x") << "the refused call took nothing";
    ws::closesocket(s);
}

} // namespace
} // namespace riosp::test
