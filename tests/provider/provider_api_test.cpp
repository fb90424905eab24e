// The provider's option, ioctl, readiness and extension-function surface, through the host's
// Winsock API against BSD peers.
#include "provider_fixture.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

// The provider's DisconnectEx, or nullptr.
LPFN_DISCONNECTEX disconnect_ex_of(SOCKET s) {
    GUID id = WSAID_DISCONNECTEX;
    LPFN_DISCONNECTEX fn = nullptr;
    DWORD bytes = 0;
    return ws::WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn,
                        &bytes, nullptr, nullptr) == 0
               ? fn
               : nullptr;
}

TEST_F(ProviderTest, SocketOptionsRoundTrip) {
    SOCKET s = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(s, INVALID_SOCKET);
    set_int(s, SOL_SOCKET, SO_REUSEADDR, 1);
    EXPECT_EQ(get_int(s, SOL_SOCKET, SO_REUSEADDR), 1);
    set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1);
    EXPECT_EQ(get_int(s, SOL_SOCKET, SO_KEEPALIVE), 1);
    set_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
    EXPECT_EQ(get_int(s, IPPROTO_TCP, TCP_NODELAY), 1);
    set_int(s, SOL_SOCKET, SO_RCVBUF, 65536);
    EXPECT_GE(get_int(s, SOL_SOCKET, SO_RCVBUF), 65536);
    set_int(s, SOL_SOCKET, SO_SNDBUF, 65536);
    EXPECT_GE(get_int(s, SOL_SOCKET, SO_SNDBUF), 65536);
    EXPECT_EQ(get_int(s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    EXPECT_EQ(get_int(s, SOL_SOCKET, SO_ERROR), 0);
    linger l{1, 7};
    ASSERT_EQ(ws::setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l),
              0);
    linger back{};
    int len = sizeof back;
    ASSERT_EQ(ws::getsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<char*>(&back), &len), 0);
    EXPECT_EQ(back.l_onoff, 1);
    EXPECT_EQ(back.l_linger, 7);
    EXPECT_EQ(get_int(s, SOL_SOCKET, SO_DONTLINGER), 0);
    set_int(s, SOL_SOCKET, SO_DONTLINGER, 1);
    EXPECT_EQ(get_int(s, SOL_SOCKET, SO_DONTLINGER), 1);
    WSAPROTOCOL_INFOW info{};
    len = sizeof info;
    ASSERT_EQ(
        ws::getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len), 0);
    EXPECT_EQ(info.iAddressFamily, AF_INET);
    EXPECT_EQ(info.iProtocol, IPPROTO_TCP);
    EXPECT_EQ(info.dwServiceFlags1 & XP1_DISCONNECT_DATA, 0u);
    int v = 0;
    len = sizeof v;
    EXPECT_EQ(ws::getsockopt(s, SOL_SOCKET, SO_BROADCAST, reinterpret_cast<char*>(&v), &len),
              SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOPROTOOPT);
    ws::closesocket(s);
}

TEST_F(ProviderTest, FionreadReportsBufferedBytes) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_EQ(bsd::send_all(peer, std::string(1000, 'q')), 0);
    u_long n = 0;
    for (int i = 0; i < 500 && n < 1000; ++i) {
        ASSERT_EQ(ws::ioctlsocket(s, static_cast<long>(FIONREAD), &n), 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(n, 1000u);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, SelectSeesReadabilityWritabilityAndPendingAccept) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    fd_set r{}, w{};
    FD_SET(s, &r);
    FD_SET(s, &w);
    timeval zero{0, 0};
    ASSERT_EQ(ws::select(0, &r, &w, nullptr, &zero), 1) << "writable, not yet readable";
    EXPECT_EQ(r.fd_count, 0u);
    EXPECT_TRUE(FD_ISSET(s, &w));
    ASSERT_EQ(bsd::send_all(peer, "x"), 0);
    FD_ZERO(&r);
    FD_SET(s, &r);
    timeval two{2, 0};
    EXPECT_EQ(ws::select(0, &r, nullptr, nullptr, &two), 1);
    EXPECT_TRUE(FD_ISSET(s, &r));

    SOCKET ls = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a = loopback(0);
    ASSERT_EQ(ws::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(ws::listen(ls, 4), 0);
    int len = sizeof a;
    ASSERT_EQ(ws::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len), 0);
    auto port = static_cast<std::uint16_t>((a.sin_port >> 8) | ((a.sin_port & 0xff) << 8));
    FD_ZERO(&r);
    FD_SET(ls, &r);
    EXPECT_EQ(ws::select(0, &r, nullptr, nullptr, &zero), 0) << "nothing pending yet";
    int client = bsd::connect_loopback(port);
    ASSERT_GE(client, 0);
    FD_ZERO(&r);
    FD_SET(ls, &r);
    EXPECT_EQ(ws::select(0, &r, nullptr, nullptr, &two), 1) << "a pending connection is readable";
    bsd::close_socket(client);
    ws::closesocket(ls);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, EventSelectRaisesAcceptAndConnect) {
    SOCKET ls = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in a = loopback(0);
    ASSERT_EQ(ws::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(ws::listen(ls, 4), 0);
    int len = sizeof a;
    ASSERT_EQ(ws::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len), 0);
    WSAEVENT accept_ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(ls, accept_ev, FD_ACCEPT), 0);

    SOCKET c = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    WSAEVENT connect_ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(c, connect_ev, FD_CONNECT | FD_WRITE), 0);
    int rc = ws::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (rc == SOCKET_ERROR) {
        ASSERT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK);
    }

    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &connect_ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS ne{};
    ASSERT_EQ(ws::WSAEnumNetworkEvents(c, connect_ev, &ne), 0);
    EXPECT_NE(ne.lNetworkEvents & FD_CONNECT, 0);
    EXPECT_EQ(ne.iErrorCode[FD_CONNECT_BIT], 0);

    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &accept_ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    ASSERT_EQ(ws::WSAEnumNetworkEvents(ls, accept_ev, &ne), 0);
    EXPECT_NE(ne.lNetworkEvents & FD_ACCEPT, 0);
    SOCKET s = ws::accept(ls, nullptr, nullptr);
    EXPECT_NE(s, INVALID_SOCKET) << ws::WSAGetLastError();
    ws::closesocket(s);
    ws::closesocket(c);
    ws::closesocket(ls);
    ws::WSACloseEvent(accept_ev);
    ws::WSACloseEvent(connect_ev);
}

TEST_F(ProviderTest, DisconnectExSendsTheFinAfterQueuedData) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    const LPFN_DISCONNECTEX disconnect_ex = disconnect_ex_of(s);
    ASSERT_NE(disconnect_ex, nullptr);
    ASSERT_EQ(send_str(s, "tail"), 4);
    EXPECT_TRUE(disconnect_ex(s, nullptr, 0, 0));
    std::string got;
    EXPECT_EQ(bsd::read_to_end(peer, got, 5000), 0);
    EXPECT_EQ(got, "tail");
    EXPECT_FALSE(disconnect_ex(s, nullptr, TF_REUSE_SOCKET, 0)) << "no reuse is promised";
    bsd::close_socket(peer);
    ws::closesocket(s);
}

// The extension functions are called by the application directly, not through ws2_32: a failing
// one must itself leave its code where the application's WSAGetLastError() reads it.
TEST_F(ProviderTest, AFailingDisconnectExLeavesItsErrorForWsaGetLastError) {
    SOCKET s = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(s, INVALID_SOCKET);
    const LPFN_DISCONNECTEX disconnect_ex = disconnect_ex_of(s);
    ASSERT_NE(disconnect_ex, nullptr);
    ws::WSASetLastError(0);
    EXPECT_FALSE(disconnect_ex(s, nullptr, 0, 0)) << "not connected";
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOTCONN);
    ws::WSASetLastError(0);
    EXPECT_FALSE(disconnect_ex(s, nullptr, 0x1234, 0)) << "no such flag";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    ws::closesocket(s);
}

TEST_F(ProviderTest, AFailingRioFunctionLeavesItsErrorForWsaGetLastError) {
    SOCKET s = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(s, INVALID_SOCKET);
    const RIO_EXTENSION_FUNCTION_TABLE rio = rio_table_of(s);
    ASSERT_NE(rio.RIOCreateCompletionQueue, nullptr);
    ws::WSASetLastError(0);
    EXPECT_EQ(rio.RIOCreateCompletionQueue(0, nullptr), RIO_INVALID_CQ) << "a queue of 0 entries";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    ws::WSASetLastError(0);
    EXPECT_EQ(rio.RIORegisterBuffer(nullptr, 16), RIO_INVALID_BUFFERID);
    EXPECT_NE(ws::WSAGetLastError(), 0);
    ws::closesocket(s);
}

// The catalog claims only what riosp does: no urgent data (MSG_OOB answers WSAEOPNOTSUPP) and
// no partial messages (a stream has no messages), as the system's own TCP entries read.
TEST_F(ProviderTest, TheCatalogClaimsNoUrgentDataAndNoPartialMessages) {
    DWORD size = 0;
    ASSERT_EQ(ws::WSAEnumProtocolsW(nullptr, nullptr, &size), SOCKET_ERROR);
    std::vector<char> raw(size);
    auto* entries = reinterpret_cast<WSAPROTOCOL_INFOW*>(raw.data());
    const int n = ws::WSAEnumProtocolsW(nullptr, entries, &size);
    ASSERT_GT(n, 0);
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(entries[i].dwServiceFlags1 & XP1_EXPEDITED_DATA, 0u) << "entry " << i;
        EXPECT_EQ(entries[i].dwServiceFlags1 & XP1_PARTIAL_MESSAGE, 0u) << "entry " << i;
        if (entries[i].iSocketType == SOCK_STREAM) { // UDP has no connection to close
            EXPECT_NE(entries[i].dwServiceFlags1 & XP1_GRACEFUL_CLOSE, 0u) << "entry " << i;
        }
    }
    int peer = -1;
    SOCKET s = connect_pair(peer);
    EXPECT_EQ(ws::send(s, "!", 1, MSG_OOB), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEOPNOTSUPP);
    ws::closesocket(s);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, RioTableBoundToProviderSocketsMovesData) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    const RIO_EXTENSION_FUNCTION_TABLE rio = rio_table_of(s); // the whole table, or all null
    ASSERT_NE(rio.RIORegisterBuffer, nullptr);
    static char region[4096];
    RIO_BUFFERID buf = rio.RIORegisterBuffer(region, sizeof region);
    ASSERT_NE(buf, RIO_INVALID_BUFFERID);
    RIO_CQ cq = rio.RIOCreateCompletionQueue(16, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    RIO_RQ rq = rio.RIOCreateRequestQueue(s, 2, 1, 2, 1, cq, cq, reinterpret_cast<void*>(7));
    ASSERT_NE(rq, RIO_INVALID_RQ) << "the table takes a provider SOCKET";
    std::memcpy(region, "riosp", 5);
    RIO_BUF slice{buf, 0, 5};
    ASSERT_TRUE(rio.RIOSend(rq, &slice, 1, 0, reinterpret_cast<void*>(1)));
    std::string got;
    EXPECT_EQ(bsd::read_exact(peer, got, 5, 5000), 0);
    EXPECT_EQ(got, "riosp");
    RIORESULT r{};
    ASSERT_TRUE(dequeue_within(rio, cq, r, 1000));
    EXPECT_EQ(r.Status, 0);
    EXPECT_EQ(r.BytesTransferred, 5u);
    EXPECT_EQ(r.SocketContext, 7u);
    EXPECT_EQ(r.RequestContext, 1u);
    char tmp[4];
    EXPECT_EQ(ws::recv(s, tmp, sizeof tmp, 0), SOCKET_ERROR)
        << "the provider's own data path is off once the application owns the RIO queue";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    ws::closesocket(s); // the RQ goes with the socket (as on Windows), then its CQ
    for (int i = 0; i < 100; ++i) {
        RIORESULT drain[4];
        if (rio.RIODequeueCompletion(cq, drain, 4) == 0)
            break;
    }
    bsd::close_socket(peer);
}

} // namespace
} // namespace riosp::test

namespace riosp::test {
namespace {

TEST_F(ProviderTest, Ipv6LoopbackPairWithNamesAndSendToRecvFrom) {
    SOCKET ls = ws::socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(ls, INVALID_SOCKET) << ws::WSAGetLastError();
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr.s6_addr[15] = 1; // ::1
    ASSERT_EQ(ws::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << ws::WSAGetLastError();
    ASSERT_EQ(ws::listen(ls, 4), 0);
    int len = sizeof a;
    ASSERT_EQ(ws::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len), 0);
    EXPECT_EQ(len, static_cast<int>(sizeof(sockaddr_in6)));
    EXPECT_EQ(a.sin6_family, AF_INET6) << "Windows' value (23), not Linux's (10)";
    EXPECT_NE(a.sin6_port, 0);

    SOCKET c = ws::socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    std::thread connector([&] {
        EXPECT_EQ(ws::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0)
            << ws::WSAGetLastError();
    });
    sockaddr_in6 from{};
    int from_len = sizeof from;
    SOCKET s = ws::accept(ls, reinterpret_cast<sockaddr*>(&from), &from_len);
    connector.join();
    ASSERT_NE(s, INVALID_SOCKET) << ws::WSAGetLastError();
    EXPECT_EQ(from.sin6_family, AF_INET6);

    sockaddr_in6 peer{};
    int peer_len = sizeof peer;
    ASSERT_EQ(ws::getpeername(c, reinterpret_cast<sockaddr*>(&peer), &peer_len), 0);
    EXPECT_EQ(peer.sin6_port, a.sin6_port) << "the client's peer is the listener's port";

    ASSERT_EQ(ws::sendto(c, "v6", 2, 0, nullptr, 0), 2) << "connected TCP ignores the destination";
    char buf[2];
    int got = 0;
    for (int i = 0; i < 100 && got < 2; ++i) {
        int n = ws::recvfrom(s, buf + got, 2 - got, 0, nullptr, nullptr);
        ASSERT_GT(n, 0) << ws::WSAGetLastError();
        got += n;
    }
    EXPECT_EQ(std::string(buf, 2), "v6");
    ws::closesocket(c);
    ws::closesocket(s);
    ws::closesocket(ls);
}

TEST_F(ProviderTest, UnsupportedFamiliesTypesAndProtocolsAreRefused) {
    EXPECT_EQ(ws::socket(AF_INET, SOCK_RAW, 0), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAESOCKTNOSUPPORT);
    EXPECT_EQ(ws::socket(99, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEAFNOSUPPORT);
    EXPECT_EQ(ws::socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEPROTONOSUPPORT);
}

} // namespace
} // namespace riosp::test
