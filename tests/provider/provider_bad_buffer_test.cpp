// Buffers a call cannot use: a WSABUF with a length and no address, one whose memory the process
// may not touch (a PROT_NONE / PAGE_NOACCESS guard page), and lengths whose sum does not fit a
// DWORD. Windows answers WSAEFAULT (a datagram too long for UDP: WSAEMSGSIZE) at the call; riosp
// must too wherever it would copy between the buffers and its rings itself, and nothing may crash,
// go on the wire, or be lost: bytes and datagrams wait for the next good receive. The datagram
// cases run again with every send through the send area (RIOSP_UDP_SENDS=ring).
#include "provider_datagram_fixture.h"
#include "provider_io_support.h"
#include "support/guard_pages.h"

#include <cstring>
#include <string>

namespace riosp::test {
namespace {

// A DWORD's worth of length in one WSABUF: with the second one's, the sum wraps to 16 bytes in
// 32 bits.
constexpr ULONG almost_4_gib = 0xFFFFFFF0u;

TEST_F(ProviderTest, OverlappedReceiveIntoABufferWithoutAnAddressFailsAtTheCall) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    WSABUF b{100, nullptr};
    WSAOVERLAPPED ov{};
    EXPECT_EQ(post_recv(s, &b, 1, ov), WSAEFAULT);
    ASSERT_EQ(bsd::send_all(peer, "data"), 0);
    char buf[16] = {};
    ASSERT_EQ(ws::recv(s, buf, sizeof buf, 0), 4) << "the bytes wait for a good receive";
    EXPECT_EQ(std::string(buf, 4), "data");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, OverlappedReceiveIntoAnInaccessibleBufferFailsAtTheCall) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    WSABUF b{100, mem.guard()};
    WSAOVERLAPPED ov{};
    EXPECT_EQ(post_recv(s, &b, 1, ov), WSAEFAULT);
    ASSERT_EQ(bsd::send_all(peer, "data"), 0);
    char buf[16] = {};
    ASSERT_EQ(ws::recv(s, buf, sizeof buf, 0), 4);
    EXPECT_EQ(std::string(buf, 4), "data");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, OverlappedReceiveIntoAReadOnlyBufferFailsAtTheCall) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    ASSERT_TRUE(mem.read_only());
    WSABUF b{100, mem.usable()};
    WSAOVERLAPPED ov{};
    EXPECT_EQ(post_recv(s, &b, 1, ov), WSAEFAULT);
    ASSERT_EQ(bsd::send_all(peer, "data"), 0);
    char buf[16] = {};
    ASSERT_EQ(ws::recv(s, buf, sizeof buf, 0), 4);
    EXPECT_EQ(std::string(buf, 4), "data");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, ReceiveOfRingBytesIntoAnInaccessibleBufferFailsAndKeepsThem) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    // A 2-byte overlapped receive takes what arrives into the receive ring; the rest stays there.
    char first[2] = {};
    WSABUF small{sizeof first, first};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_recv(s, &small, 1, ov), WSA_IO_PENDING);
    ASSERT_EQ(bsd::send_all(peer, "abcdef"), 0);
    DWORD bytes = 0;
    ASSERT_EQ(overlapped_result(s, ov, bytes), 0);
    ASSERT_EQ(bytes, 2u);
    ASSERT_TRUE(wait_unread(s, 4));
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    WSABUF bad{100, mem.guard()};
    DWORD got = 0;
    DWORD flags = 0;
    EXPECT_EQ(ws::WSARecv(s, &bad, 1, &got, &flags, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    char buf[16] = {};
    ASSERT_EQ(ws::recv(s, buf, sizeof buf, 0), 4);
    EXPECT_EQ(std::string(buf, 4), "cdef");
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, SendBehindRingBytesFromABadBufferFailsAtTheCallAndSendsNothing) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    const std::size_t filled = fill_send_ring(s);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    WSABUF inaccessible{100, mem.guard()};
    WSABUF no_address{100, nullptr};
    for (WSABUF* b : {&inaccessible, &no_address}) {
        WSAOVERLAPPED ov{};
        EXPECT_EQ(post_send(s, b, 1, ov), WSAEFAULT);
        ws::WSACloseEvent(ov.hEvent);
    }
    ASSERT_EQ(ws::WSASendDisconnect(s, nullptr), 0);
    std::string got;
    EXPECT_EQ(bsd::read_to_end(peer, got, 10000), 0);
    EXPECT_EQ(got.size(), filled) << "only the bytes before the bad sends";
    EXPECT_EQ(got.find_first_not_of('f'), std::string::npos);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, AQueuedSendWhoseBufferFaultsCompletesWithFaultAndTheNextOnesGoOn) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    const std::size_t filled = fill_send_ring(s);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    std::memset(mem.usable(), 'a', 100);
    WSABUF a{100, mem.usable()};
    WSAOVERLAPPED ova{};
    ASSERT_EQ(post_send(s, &a, 1, ova), WSA_IO_PENDING) << "queued behind the full ring";
    ASSERT_TRUE(mem.revoke()); // the application takes the memory away while the send waits
    std::string tail = "tail";
    WSABUF b{4, tail.data()};
    WSAOVERLAPPED ovb{};
    ASSERT_EQ(post_send(s, &b, 1, ovb), WSA_IO_PENDING);
    std::string got;
    EXPECT_EQ(bsd::read_exact(peer, got, filled + tail.size(), 10000), 0)
        << "the send behind the faulting one must not wait forever";
    DWORD bytes = 0;
    EXPECT_EQ(overlapped_result(s, ova, bytes), WSAEFAULT);
    EXPECT_EQ(overlapped_result(s, ovb, bytes), 0);
    EXPECT_EQ(bytes, 4u);
    ASSERT_EQ(got.size(), filled + tail.size());
    EXPECT_EQ(got.substr(filled), tail);
    EXPECT_EQ(got.find_first_not_of('f'), filled);
    ws::WSACloseEvent(ova.hEvent);
    ws::WSACloseEvent(ovb.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, StreamBuffersWhoseLengthsWrapADwordFailWithFault) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    char more[32] = {};
    // 16 real bytes right before the guard page, claimed to be almost 4 GiB.
    WSABUF wrapped[2] = {{almost_4_gib, mem.usable_tail(16)}, {sizeof more, more}};
    DWORD n = 0;
    EXPECT_EQ(ws::WSASend(s, wrapped, 2, &n, 0, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    WSAOVERLAPPED ov{};
    EXPECT_EQ(post_recv(s, wrapped, 2, ov), WSAEFAULT);
    ws::WSACloseEvent(ov.hEvent);
    // And behind ring bytes, where riosp would copy them itself.
    const std::size_t filled = fill_send_ring(s);
    EXPECT_EQ(post_send(s, wrapped, 2, ov), WSAEFAULT);
    ws::WSACloseEvent(ov.hEvent);
    ASSERT_EQ(ws::WSASendDisconnect(s, nullptr), 0);
    std::string got;
    EXPECT_EQ(bsd::read_to_end(peer, got, 10000), 0);
    EXPECT_EQ(got.size(), filled);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

class ProviderDatagramBadBuffers : public DatagramTest {};

TEST_F(ProviderDatagramBadBuffers, DatagramLengthsThatWrapADwordAreTooLongForUdp) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    char more[32] = {};
    WSABUF wrapped[2] = {{almost_4_gib, mem.usable_tail(16)}, {sizeof more, more}};
    sockaddr_in to = loopback(port);
    DWORD n = 0;
    EXPECT_EQ(ws::WSASendTo(s, wrapped, 2, &n, 0, reinterpret_cast<sockaddr*>(&to), sizeof to,
                            nullptr, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMSGSIZE);
    EXPECT_EQ(recv_within(s, 200), "") << "nothing was sent";
    ws::closesocket(s);
}

TEST_F(ProviderDatagramBadBuffers, DatagramSendFromABadBufferFailsWithFaultAndSendsNothing) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    WSABUF inaccessible{100, mem.guard()};
    WSABUF no_address{100, nullptr};
    sockaddr_in to = loopback(port);
    for (WSABUF* b : {&inaccessible, &no_address}) {
        DWORD n = 0;
        EXPECT_EQ(ws::WSASendTo(s, b, 1, &n, 0, reinterpret_cast<sockaddr*>(&to), sizeof to,
                                nullptr, nullptr),
                  SOCKET_ERROR);
        EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    }
    ASSERT_EQ(send_to(s, port, "good"), 4);
    EXPECT_EQ(recv_within(s, 5000), "good") << "the first datagram on the wire is the good one";
    ws::closesocket(s);
}

TEST_F(ProviderDatagramBadBuffers, DatagramOverlappedReceiveIntoABadBufferFailsAtTheCall) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    WSABUF inaccessible{100, mem.guard()};
    WSABUF no_address{100, nullptr};
    for (WSABUF* b : {&inaccessible, &no_address}) {
        WSAOVERLAPPED ov{};
        EXPECT_EQ(post_recv(s, b, 1, ov), WSAEFAULT);
        ws::WSACloseEvent(ov.hEvent);
    }
    ASSERT_EQ(send_to(s, port, "kept"), 4);
    EXPECT_EQ(recv_within(s, 5000), "kept") << "the datagram waits for a good receive";
    ws::closesocket(s);
}

TEST_F(ProviderDatagramBadBuffers, DatagramHeldInTheReceiveAreaSurvivesAReceiveIntoABadBuffer) {
    std::uint16_t port = 0;
    SOCKET s = bound_udp(port);
    // An FD_READ selection takes the datagram into the receive area as it arrives.
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(s, ev, FD_READ), 0);
    ASSERT_EQ(send_to(s, port, "held"), 4);
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    WSABUF bad{100, mem.guard()};
    DWORD got = 0;
    DWORD flags = 0;
    EXPECT_EQ(ws::WSARecv(s, &bad, 1, &got, &flags, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    char buf[16] = {};
    EXPECT_EQ(ws::recv(s, buf, sizeof buf, 0), 4);
    EXPECT_EQ(std::string(buf, 4), "held");
    ws::WSACloseEvent(ev);
    ws::closesocket(s);
}

} // namespace
} // namespace riosp::test
