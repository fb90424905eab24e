// Datagram (UDP) sockets through the rest of the Winsock surface: the RIO table handed out on a
// UDP socket, overlapped sends and receives (events and completion routines, WSAEMSGSIZE cuts,
// many sends queued on one socket), the size limits, non-blocking mode and readiness, options,
// and the calls that must fail on a datagram socket with a documented error.
#include "provider_datagram_fixture.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

class ProviderDatagramApi : public DatagramTest {
protected:
    // Posts an overlapped WSASendTo of `data` to the loopback port with a new event (closed by
    // the caller): 0 when it completed at once, else the WSA code.
    static int post_send_to(SOCKET s, std::uint16_t port, std::string& data, WSAOVERLAPPED& ov) {
        ov = WSAOVERLAPPED{};
        ov.hEvent = ws::WSACreateEvent();
        WSABUF b{static_cast<ULONG>(data.size()), data.data()};
        sockaddr_in to = loopback(port);
        return ws::WSASendTo(s, &b, 1, nullptr, 0, reinterpret_cast<sockaddr*>(&to), sizeof to, &ov,
                             nullptr) == 0
                   ? 0
                   : ws::WSAGetLastError();
    }
};

// The largest UDP payload over IPv4: 65,535 less the IP (20) and UDP (8) headers.
constexpr int max_udp_payload_v4 = 65507;

// A Windows SOCKADDR_INET (the address slice of RIOSendEx / RIOReceiveEx): either address
// family, 28 bytes.
union InetAddress {
    sockaddr_in v4;
    sockaddr_in6 v6;
    ADDRESS_FAMILY family;
};

// An overlapped operation's result once its event fired (within 5 s): 0 or the WSA error, with
// its byte count in `bytes`; WSA_WAIT_TIMEOUT when it never completed.
int overlapped_result(SOCKET s, WSAOVERLAPPED& ov, DWORD& bytes) {
    if (ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 5000, FALSE) != WSA_WAIT_EVENT_0)
        return WSA_WAIT_TIMEOUT;
    DWORD flags = 0;
    return ws::WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags) ? 0 : ws::WSAGetLastError();
}

// Posts an overlapped WSARecvFrom into `b` with a new event (the caller closes it): 0 when it
// completed at once, else the WSA code (WSA_IO_PENDING while it waits).
int post_recv_from(SOCKET s, WSABUF& b, WSAOVERLAPPED& ov, sockaddr_in& from, int& from_len) {
    ov = WSAOVERLAPPED{};
    ov.hEvent = ws::WSACreateEvent();
    from_len = sizeof from;
    DWORD flags = 0;
    return ws::WSARecvFrom(s, &b, 1, nullptr, &flags, reinterpret_cast<sockaddr*>(&from), &from_len,
                           &ov, nullptr) == 0
               ? 0
               : ws::WSAGetLastError();
}

TEST_F(ProviderDatagramApi, RioTableOnAUdpSocketMovesDatagramsWithReceiveExAndSendEx) {
    std::uint16_t pa = 0, pp = 0;
    SOCKET a = bound_udp(pa);
    SOCKET peer = bound_udp(pp);
    const RIO_EXTENSION_FUNCTION_TABLE rio = rio_table_of(a);
    ASSERT_NE(rio.RIOReceiveEx, nullptr);
    ASSERT_NE(rio.RIOSendEx, nullptr);
    // One registered region: a receive area, a send area, then the two address slots.
    constexpr ULONG recv_at = 0, send_at = 2048, source_at = 4096, dest_at = source_at + 32;
    static char region[4096 + 64];
    RIO_BUFFERID buf = rio.RIORegisterBuffer(region, sizeof region);
    ASSERT_NE(buf, RIO_INVALID_BUFFERID);
    RIO_CQ cq = rio.RIOCreateCompletionQueue(16, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    RIO_RQ rq = rio.RIOCreateRequestQueue(a, 2, 1, 2, 1, cq, cq, reinterpret_cast<void*>(7));
    ASSERT_NE(rq, RIO_INVALID_RQ) << "a UDP provider socket takes a RIO queue: "
                                  << ws::WSAGetLastError();

    RIO_BUF data{buf, recv_at, 2048};
    RIO_BUF source{buf, source_at, sizeof(InetAddress)};
    ASSERT_TRUE(rio.RIOReceiveEx(rq, &data, 1, nullptr, &source, nullptr, nullptr, 0,
                                 reinterpret_cast<void*>(1)))
        << ws::WSAGetLastError();
    ASSERT_EQ(send_to(peer, pa, "from-peer"), 9);
    RIORESULT r{};
    ASSERT_TRUE(dequeue_within(rio, cq, r, 5000));
    EXPECT_EQ(r.Status, 0);
    EXPECT_EQ(r.BytesTransferred, 9u);
    EXPECT_EQ(r.SocketContext, 7u);
    EXPECT_EQ(r.RequestContext, 1u);
    EXPECT_EQ(std::string(region + recv_at, 9), "from-peer");
    InetAddress from{};
    std::memcpy(&from, region + source_at, sizeof from);
    EXPECT_EQ(from.family, AF_INET) << "Windows' family value in the SOCKADDR_INET";
    EXPECT_EQ(port_of(from.v4), pp);
    EXPECT_EQ(from.v4.sin_addr.s_addr, loopback(0).sin_addr.s_addr);

    std::memcpy(region + send_at, "to-peer", 7);
    const sockaddr_in to = loopback(pp);
    std::memcpy(region + dest_at, &to, sizeof to);
    RIO_BUF out{buf, send_at, 7};
    RIO_BUF dest{buf, dest_at, sizeof(InetAddress)};
    ASSERT_TRUE(
        rio.RIOSendEx(rq, &out, 1, nullptr, &dest, nullptr, nullptr, 0, reinterpret_cast<void*>(2)))
        << ws::WSAGetLastError();
    std::uint16_t got_from = 0;
    EXPECT_EQ(recv_within(peer, 5000, &got_from), "to-peer");
    EXPECT_EQ(got_from, pa);
    ASSERT_TRUE(dequeue_within(rio, cq, r, 5000));
    EXPECT_EQ(r.Status, 0);
    EXPECT_EQ(r.BytesTransferred, 7u);
    EXPECT_EQ(r.RequestContext, 2u);

    char tmp[4];
    EXPECT_EQ(ws::recv(a, tmp, sizeof tmp, 0), SOCKET_ERROR)
        << "the provider's own data path is off once the application owns the RIO queue";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(ws::closesocket(a), 0); // the RQ goes with the socket, as on Windows
    EXPECT_EQ(ws::closesocket(peer), 0);
    RIORESULT drain[4];
    while (rio.RIODequeueCompletion(cq, drain, 4) > 0) {
    }
}

TEST_F(ProviderDatagramApi, OverlappedReceiveOfALongerDatagramFillsTheBufferWithWsaemsgsize) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    std::array<char, 10> small{};
    WSABUF wb{static_cast<ULONG>(small.size()), small.data()};
    WSAOVERLAPPED ov{};
    sockaddr_in from{};
    int from_len = 0;
    DWORD bytes = 0;

    // Waiting when the datagram comes (the ring's receive area takes it whole, then it is cut).
    ASSERT_EQ(post_recv_from(b, wb, ov, from, from_len), WSA_IO_PENDING);
    ASSERT_EQ(send_to(a, pb, "0123456789abcdef"), 16);
    EXPECT_EQ(overlapped_result(b, ov, bytes), WSAEMSGSIZE);
    EXPECT_EQ(bytes, small.size());
    EXPECT_EQ(std::string(small.data(), small.size()), "0123456789");
    EXPECT_EQ(port_of(from), pa);
    ws::WSACloseEvent(ov.hEvent);

    // Already queued (cut by the kernel inside the call): the call and the overlapped result
    // both say so, as Windows reports STATUS_BUFFER_OVERFLOW.
    ASSERT_EQ(send_to(a, pb, "ABCDEFGHIJKLMNOP"), 16);
    ASSERT_TRUE(readable_within(b, 5000));
    EXPECT_EQ(post_recv_from(b, wb, ov, from, from_len), WSAEMSGSIZE);
    EXPECT_EQ(overlapped_result(b, ov, bytes), WSAEMSGSIZE);
    EXPECT_EQ(bytes, small.size());
    EXPECT_EQ(std::string(small.data(), small.size()), "ABCDEFGHIJ");
    ws::WSACloseEvent(ov.hEvent);

    // The rest of each was discarded: the next receive gets the next datagram.
    ASSERT_EQ(send_to(a, pb, "next"), 4);
    const int posted = post_recv_from(b, wb, ov, from, from_len);
    ASSERT_TRUE(posted == 0 || posted == WSA_IO_PENDING) << posted;
    EXPECT_EQ(overlapped_result(b, ov, bytes), 0);
    EXPECT_EQ(std::string(small.data(), bytes), "next");
    ws::WSACloseEvent(ov.hEvent);
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

// An overlapped operation with a completion routine, and what its routine was told.
struct RoutineOp {
    WSAOVERLAPPED ov{}; // first: the routine finds its RoutineOp from the pointer it is given
    int calls = 0;
    DWORD error = 0;
    DWORD bytes = 0;

    static void CALLBACK routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD) {
        auto* op = reinterpret_cast<RoutineOp*>(ov);
        ++op->calls;
        op->error = error;
        op->bytes = bytes;
    }
};

// Sleeps alertably until `op`'s routine ran (or 5 s passed): whether it ran.
bool routine_ran(const RoutineOp& op) {
    for (int i = 0; i < 50 && op.calls == 0; ++i)
        (void)ws::SleepEx(100, TRUE);
    return op.calls > 0;
}

TEST_F(ProviderDatagramApi, CompletionRoutinesRunInAnAlertableWaitWithTheBytesAndTheError) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    std::array<char, 64> buf{};
    WSABUF wb{static_cast<ULONG>(buf.size()), buf.data()};
    DWORD flags = 0;

    RoutineOp recv_op;
    ASSERT_EQ(ws::WSARecvFrom(b, &wb, 1, nullptr, &flags, nullptr, nullptr, &recv_op.ov,
                              RoutineOp::routine),
              SOCKET_ERROR);
    ASSERT_EQ(ws::WSAGetLastError(), WSA_IO_PENDING);
    ASSERT_EQ(send_to(a, pb, "routine"), 7);
    ASSERT_TRUE(routine_ran(recv_op));
    EXPECT_EQ(recv_op.calls, 1);
    EXPECT_EQ(recv_op.error, 0u);
    EXPECT_EQ(recv_op.bytes, 7u);
    EXPECT_EQ(std::string(buf.data(), 7), "routine");

    // A datagram cut to the buffer: the routine gets WSAEMSGSIZE and the buffer's length.
    RoutineOp cut_op;
    WSABUF four{4, buf.data()};
    ASSERT_EQ(ws::WSARecvFrom(b, &four, 1, nullptr, &flags, nullptr, nullptr, &cut_op.ov,
                              RoutineOp::routine),
              SOCKET_ERROR);
    ASSERT_EQ(ws::WSAGetLastError(), WSA_IO_PENDING);
    ASSERT_EQ(send_to(a, pb, "too-long-for-4"), 14);
    ASSERT_TRUE(routine_ran(cut_op));
    EXPECT_EQ(cut_op.error, static_cast<DWORD>(WSAEMSGSIZE));
    EXPECT_EQ(cut_op.bytes, 4u);

    // A send the kernel takes at once still reports through its routine, and only in an
    // alertable wait, as on Windows.
    RoutineOp send_op;
    std::string data = "sent!";
    WSABUF sb{static_cast<ULONG>(data.size()), data.data()};
    sockaddr_in to = loopback(pb);
    const int rc = ws::WSASendTo(a, &sb, 1, nullptr, 0, reinterpret_cast<sockaddr*>(&to), sizeof to,
                                 &send_op.ov, RoutineOp::routine);
    ASSERT_TRUE(rc == 0 || ws::WSAGetLastError() == WSA_IO_PENDING) << ws::WSAGetLastError();
    EXPECT_EQ(send_op.calls, 0) << "a routine runs in an alertable wait only";
    ASSERT_TRUE(routine_ran(send_op));
    EXPECT_EQ(send_op.calls, 1);
    EXPECT_EQ(send_op.error, 0u);
    EXPECT_EQ(send_op.bytes, 5u);
    EXPECT_EQ(recv_within(b, 5000), "sent!");
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

// A send goes through the ring only when the kernel refuses it (WSAEWOULDBLOCK) or one is
// already in flight. Over Linux loopback the kernel frees a datagram's send-buffer charge inside
// sendmsg, so even the smallest SO_SNDBUF does not make it refuse: the property sends_pending
// records how many took the ring, and every send must arrive whichever path it took.
TEST_F(ProviderDatagramApi, ManyOverlappedSendsQueuedBackToBackAllArriveInOrder) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    set_int(a, SOL_SOCKET, SO_SNDBUF, 1);       // the kernel's minimum
    set_int(b, SOL_SOCKET, SO_RCVBUF, 8 << 20); // capped by the kernel: received concurrently
    constexpr int count = 200;
    const auto size_of = [](int i) { return static_cast<std::size_t>(8 + (i * 97) % 1200); };

    std::vector<std::string> got;
    std::thread receiver([&] {
        for (int i = 0; i < count; ++i) {
            std::string d = recv_within(b, 5000);
            if (d.empty())
                break;
            got.push_back(std::move(d));
        }
    });
    std::vector<std::string> data(count);
    std::vector<WSAOVERLAPPED> ovs(count);
    int pending = 0;
    for (int i = 0; i < count; ++i) {
        data[i] = std::string(size_of(i), static_cast<char>('a' + i % 26));
        std::memcpy(data[i].data(), &i, sizeof i);
        const int rc = post_send_to(a, pb, data[i], ovs[i]);
        ASSERT_TRUE(rc == 0 || rc == WSA_IO_PENDING) << i << ": " << rc;
        pending += rc == WSA_IO_PENDING ? 1 : 0;
    }
    for (int i = 0; i < count; ++i) {
        DWORD bytes = 0;
        EXPECT_EQ(overlapped_result(a, ovs[i], bytes), 0) << i;
        EXPECT_EQ(bytes, size_of(i)) << i;
        ws::WSACloseEvent(ovs[i].hEvent);
    }
    receiver.join();
    RecordProperty("sends_pending", pending);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        int seq = -1;
        std::memcpy(&seq, got[i].data(), sizeof seq);
        EXPECT_EQ(seq, i);
        EXPECT_EQ(got[i], data[i]) << i;
    }
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

TEST_F(ProviderDatagramApi, ASendLargerThanTheLargestUdpPayloadFailsWithWsaemsgsize) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    std::string big(max_udp_payload_v4 + 1, 'b');
    EXPECT_EQ(send_to(a, pb, big), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMSGSIZE);
    std::string huge(100000, 'h');
    EXPECT_EQ(send_to(a, pb, huge), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMSGSIZE);

    // Overlapped: the call fails at once, and then no completion may follow (an application
    // reuses the OVERLAPPED of a call that did not return WSA_IO_PENDING or 0).
    for (std::string* d : {&big, &huge}) {
        WSAOVERLAPPED ov{};
        EXPECT_EQ(post_send_to(a, pb, *d, ov), WSAEMSGSIZE) << d->size();
        EXPECT_EQ(ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 100, FALSE),
                  static_cast<DWORD>(WSA_WAIT_TIMEOUT))
            << d->size() << ": a failed call signalled its event";
        ws::WSACloseEvent(ov.hEvent);
        RoutineOp op;
        WSABUF wb{static_cast<ULONG>(d->size()), d->data()};
        sockaddr_in to = loopback(pb);
        EXPECT_EQ(ws::WSASendTo(a, &wb, 1, nullptr, 0, reinterpret_cast<sockaddr*>(&to), sizeof to,
                                &op.ov, RoutineOp::routine),
                  SOCKET_ERROR);
        EXPECT_EQ(ws::WSAGetLastError(), WSAEMSGSIZE);
        (void)ws::SleepEx(100, TRUE);
        EXPECT_EQ(op.calls, 0) << d->size() << ": a failed call ran its routine";
    }

    // The largest one goes, whole.
    set_int(b, SOL_SOCKET, SO_RCVBUF, 1 << 20);
    big.pop_back();
    ASSERT_EQ(send_to(a, pb, big), max_udp_payload_v4) << ws::WSAGetLastError();
    ASSERT_TRUE(readable_within(b, 5000));
    std::string in(big.size() + 1, '\0');
    EXPECT_EQ(ws::recv(b, in.data(), static_cast<int>(in.size()), 0), max_udp_payload_v4);
    EXPECT_EQ(in.substr(0, big.size()), big);
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

TEST_F(ProviderDatagramApi, AZeroLengthDatagramIsSentAndReceivedAsZeroBytes) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    std::array<char, 16> buf{};
    // Blocking, in the caller.
    ASSERT_EQ(send_to(a, pb, ""), 0) << ws::WSAGetLastError();
    sockaddr_in from{};
    int from_len = sizeof from;
    EXPECT_EQ(ws::recvfrom(b, buf.data(), static_cast<int>(buf.size()), 0,
                           reinterpret_cast<sockaddr*>(&from), &from_len),
              0);
    EXPECT_EQ(port_of(from), pa);

    // Overlapped: a receive waiting for it (through the ring), then one finding it queued.
    WSABUF wb{static_cast<ULONG>(buf.size()), buf.data()};
    WSAOVERLAPPED rov{}, sov{};
    DWORD bytes = 99;
    ASSERT_EQ(post_recv_from(b, wb, rov, from, from_len), WSA_IO_PENDING);
    std::string empty;
    const int sent = post_send_to(a, pb, empty, sov);
    ASSERT_TRUE(sent == 0 || sent == WSA_IO_PENDING) << sent;
    EXPECT_EQ(overlapped_result(a, sov, bytes), 0);
    EXPECT_EQ(bytes, 0u);
    bytes = 99;
    EXPECT_EQ(overlapped_result(b, rov, bytes), 0);
    EXPECT_EQ(bytes, 0u);
    EXPECT_EQ(port_of(from), pa);
    ws::WSACloseEvent(rov.hEvent);
    ws::WSACloseEvent(sov.hEvent);

    ASSERT_EQ(send_to(a, pb, ""), 0);
    ASSERT_TRUE(readable_within(b, 5000));
    bytes = 99;
    EXPECT_EQ(post_recv_from(b, wb, rov, from, from_len), 0);
    EXPECT_EQ(overlapped_result(b, rov, bytes), 0);
    EXPECT_EQ(bytes, 0u);
    ws::WSACloseEvent(rov.hEvent);
    ASSERT_EQ(send_to(a, pb, "after"), 5); // the empty ones were datagrams of their own
    EXPECT_EQ(recv_within(b, 5000), "after");
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

TEST_F(ProviderDatagramApi, NonBlockingSendAndRecvAndFionbioRoundTrip) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(a, FIONBIO, &on), 0);
    ASSERT_EQ(ws::ioctlsocket(b, FIONBIO, &on), 0);
    char buf[16];
    EXPECT_EQ(ws::recv(b, buf, sizeof buf, 0), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK);
    ASSERT_EQ(send_to(a, pb, "nb"), 2) << "the kernel takes a datagram at once";
    ASSERT_TRUE(readable_within(b, 5000));
    EXPECT_EQ(ws::recv(b, buf, sizeof buf, 0), 2);
    EXPECT_EQ(ws::recv(b, buf, sizeof buf, 0), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK);

    // Back to blocking: the receive waits for the datagram sent later.
    u_long off = 0;
    ASSERT_EQ(ws::ioctlsocket(b, FIONBIO, &off), 0);
    std::thread sender([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(send_to(a, pb, "later"), 5);
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(ws::recv(b, buf, sizeof buf, 0), 5) << ws::WSAGetLastError();
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50))
        << "a blocking receive waited";
    sender.join();
    EXPECT_EQ(std::string(buf, 5), "later");
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

TEST_F(ProviderDatagramApi, AFreshUdpSocketSelectsWritableAndNotReadable) {
    SOCKET s = ws::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    ASSERT_NE(s, INVALID_SOCKET);
    fd_set r{}, w{};
    FD_SET(s, &r);
    FD_SET(s, &w);
    timeval zero{0, 0};
    EXPECT_EQ(ws::select(0, &r, &w, nullptr, &zero), 1);
    EXPECT_TRUE(FD_ISSET(s, &w));
    EXPECT_FALSE(FD_ISSET(s, &r));
    EXPECT_EQ(ws::closesocket(s), 0);
}

TEST_F(ProviderDatagramApi, BufferReuseAndV6OnlyOptionsRoundTripAndTcpNodelayIsWsaenoprotoopt) {
    SOCKET s = ws::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    ASSERT_NE(s, INVALID_SOCKET);
    set_int(s, SOL_SOCKET, SO_RCVBUF, 65536);
    EXPECT_GE(get_int(s, SOL_SOCKET, SO_RCVBUF), 65536);
    set_int(s, SOL_SOCKET, SO_SNDBUF, 65536);
    EXPECT_GE(get_int(s, SOL_SOCKET, SO_SNDBUF), 65536);
    for (int v : {1, 0}) {
        set_int(s, SOL_SOCKET, SO_REUSEADDR, v);
        EXPECT_EQ(get_int(s, SOL_SOCKET, SO_REUSEADDR), v);
    }
    // A TCP option on a UDP socket: Windows answers WSAENOPROTOOPT, for both calls.
    int v = 1;
    EXPECT_EQ(
        ws::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&v), sizeof v),
        SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOPROTOOPT);
    int len = sizeof v;
    EXPECT_EQ(ws::getsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<char*>(&v), &len),
              SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOPROTOOPT);
    EXPECT_EQ(ws::closesocket(s), 0);

    SOCKET s6 = ws::socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    ASSERT_NE(s6, INVALID_SOCKET);
    for (int on : {1, 0}) {
        set_int(s6, IPPROTO_IPV6, IPV6_V6ONLY, on);
        EXPECT_EQ(get_int(s6, IPPROTO_IPV6, IPV6_V6ONLY), on);
    }
    EXPECT_EQ(ws::closesocket(s6), 0);
}

// Windows checks lpFromlen before it takes a datagram (WSAEFAULT when the socket's address
// cannot fit): the datagram stays queued for the next receive, in every mode.
TEST_F(ProviderDatagramApi, RecvFromWithATooShortFromlenFailsWithWsaefaultAndKeepsTheDatagram) {
    std::uint16_t pa = 0, pb = 0;
    SOCKET a = bound_udp(pa);
    SOCKET b = bound_udp(pb);
    ASSERT_EQ(send_to(a, pb, "kept"), 4);
    ASSERT_TRUE(readable_within(b, 5000));
    char buf[16];
    sockaddr_in from{};
    int short_len = sizeof from - 1;
    EXPECT_EQ(ws::recvfrom(b, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &short_len),
              SOCKET_ERROR)
        << "blocking";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    WSABUF wb{sizeof buf, buf};
    WSAOVERLAPPED ov{};
    ov.hEvent = ws::WSACreateEvent();
    DWORD flags = 0;
    EXPECT_EQ(ws::WSARecvFrom(b, &wb, 1, nullptr, &flags, reinterpret_cast<sockaddr*>(&from),
                              &short_len, &ov, nullptr),
              SOCKET_ERROR)
        << "overlapped";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE),
              static_cast<DWORD>(WSA_WAIT_TIMEOUT));
    ws::WSACloseEvent(ov.hEvent);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(b, FIONBIO, &on), 0);
    EXPECT_EQ(ws::recvfrom(b, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &short_len),
              SOCKET_ERROR)
        << "non-blocking";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    std::uint16_t source = 0;
    EXPECT_EQ(recv_within(b, 1000, &source), "kept");
    EXPECT_EQ(source, pa);

    // An IPv6 socket's sources take a sockaddr_in6: a sockaddr_in's length is too short.
    SOCKET s6 = ws::socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    ASSERT_NE(s6, INVALID_SOCKET);
    int v4_len = sizeof from;
    ov = WSAOVERLAPPED{}; // overlapped: a check made too late leaves it pending, not hung
    EXPECT_EQ(ws::WSARecvFrom(s6, &wb, 1, nullptr, &flags, reinterpret_cast<sockaddr*>(&from),
                              &v4_len, &ov, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(ws::closesocket(s6), 0);
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
}

TEST_F(ProviderDatagramApi, ABlockedReceiveGetsADatagramItsSocketSendsToItself) {
    std::uint16_t pa = 0;
    SOCKET a = bound_udp(pa);
    std::atomic<bool> done{false};
    int n = 0;
    char buf[16] = {};
    sockaddr_in from{};
    std::thread receiver([&] {
        int from_len = sizeof from;
        n = ws::recvfrom(a, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the receiver is waiting
    EXPECT_EQ(send_to(a, pa, "self"), 4) << ws::WSAGetLastError();
    for (int i = 0; i < 500 && !done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const bool received = done;
    EXPECT_EQ(ws::closesocket(a), 0); // ends the wait if the datagram never came
    receiver.join();
    ASSERT_TRUE(received);
    EXPECT_EQ(n, 4);
    EXPECT_EQ(std::string(buf, 4), "self");
    EXPECT_EQ(port_of(from), pa);
}

TEST_F(ProviderDatagramApi, AcceptOnAUdpSocketFailsWithWsaeopnotsupp) {
    std::uint16_t pa = 0;
    SOCKET a = bound_udp(pa);
    EXPECT_EQ(ws::accept(a, nullptr, nullptr), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEOPNOTSUPP);
    sockaddr_in from{};
    int len = sizeof from;
    EXPECT_EQ(ws::WSAAccept(a, reinterpret_cast<sockaddr*>(&from), &len, nullptr, 0),
              INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEOPNOTSUPP);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(a, FIONBIO, &on), 0);
    EXPECT_EQ(ws::accept(a, nullptr, nullptr), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEOPNOTSUPP);
    EXPECT_EQ(ws::closesocket(a), 0);
}

} // namespace
} // namespace riosp::test
