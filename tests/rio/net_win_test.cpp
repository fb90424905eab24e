// rio/net.h over Winsock (rio/win/net_win.cpp), run under Wine in CI and on Windows as it is:
// loopback connections, names, options, half-close, the readiness Poller and the WakeEvent.
#include <rio/net.h>

#include <winsock2.h>
#include <ws2tcpip.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace riosp::rio::net {
namespace {

using namespace std::chrono_literals;

struct Socket {
    NativeSocket s = invalid_socket;
    Socket() = default;
    explicit Socket(NativeSocket v) : s(v) {}
    ~Socket() { close(s, false); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    NativeSocket release() { return std::exchange(s, invalid_socket); }
};

sockaddr_in loopback4(u_short port = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

// A listener on 127.0.0.1 (ephemeral port) and its address.
struct Listener {
    Socket sock;
    sockaddr_in addr{};
    Listener() {
        NativeSocket s = invalid_socket;
        EXPECT_EQ(open_tcp(AF_INET, s), 0);
        sock.s = s;
        addr = loopback4();
        EXPECT_EQ(bind(s, &addr, sizeof addr), 0);
        EXPECT_EQ(listen(s, 8), 0);
        int len = sizeof addr;
        EXPECT_EQ(local_name(s, &addr, &len), 0);
    }
};

// client connected to an accepted server socket.
struct Pair {
    Listener listener;
    Socket client;
    Socket server;
    Pair() {
        NativeSocket c = invalid_socket;
        EXPECT_EQ(open_tcp(AF_INET, c), 0);
        client.s = c;
        const int rc = connect(c, &listener.addr, sizeof listener.addr);
        EXPECT_TRUE(rc == 0 || rc == WSAEWOULDBLOCK) << rc;
        EXPECT_EQ(wait_writable(c, 5000), 0);
        EXPECT_EQ(connect_result(c), 0);
        EXPECT_EQ(wait_readable(listener.sock.s, 5000), 0);
        NativeSocket a = invalid_socket;
        EXPECT_EQ(accept(listener.sock.s, a, nullptr, nullptr), 0);
        server.s = a;
    }
};

int send_all(NativeSocket s, const char* data, int n) {
    int sent = 0;
    while (sent < n) {
        if (wait_writable(s, 5000) != 0)
            return sent;
        const int r = ::send(static_cast<SOCKET>(s), data + sent, n - sent, 0);
        if (r <= 0 && WSAGetLastError() != WSAEWOULDBLOCK)
            return sent;
        sent += r > 0 ? r : 0;
    }
    return sent;
}

// One recv after waiting for readability: bytes, 0 at EOF, -WSA code on error.
int recv_some(NativeSocket s, char* buf, int n) {
    if (wait_readable(s, 5000) != 0)
        return -WSAETIMEDOUT;
    const int r = ::recv(static_cast<SOCKET>(s), buf, n, 0);
    return r >= 0 ? r : -WSAGetLastError();
}

TEST(NetWin, OpensOnlyTcpOverIpv4AndIpv6) {
    NativeSocket s = invalid_socket;
    EXPECT_EQ(open_tcp(AF_UNIX, s), WSAEAFNOSUPPORT);
    EXPECT_EQ(s, invalid_socket);
    ASSERT_EQ(open_tcp(AF_INET, s), 0);
    Socket owned(s);
    int type = 0, len = sizeof type;
    ASSERT_EQ(getsockopt(static_cast<SOCKET>(s), SOL_SOCKET, SO_TYPE,
                         reinterpret_cast<char*>(&type), &len),
              0);
    EXPECT_EQ(type, SOCK_STREAM);
}

TEST(NetWin, BadAddressesAreRefusedUpFront) {
    NativeSocket s = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET, s), 0);
    Socket owned(s);
    const auto a = loopback4();
    EXPECT_EQ(bind(s, nullptr, 16), WSAEFAULT);
    EXPECT_EQ(bind(s, &a, 8), WSAEFAULT);
    sockaddr_in foreign = a;
    foreign.sin_family = 99;
    EXPECT_EQ(bind(s, &foreign, sizeof foreign), WSAEAFNOSUPPORT);
    EXPECT_EQ(connect(s, &a, 4), WSAEFAULT);
}

TEST(NetWin, ConnectAcceptAndNames) {
    Listener l;
    EXPECT_NE(l.addr.sin_port, 0);
    NativeSocket none = invalid_socket;
    EXPECT_EQ(accept(l.sock.s, none, nullptr, nullptr), WSAEWOULDBLOCK) << "non-blocking";

    NativeSocket c = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET, c), 0);
    Socket client(c);
    const int rc = connect(c, &l.addr, sizeof l.addr);
    ASSERT_TRUE(rc == 0 || rc == WSAEWOULDBLOCK) << rc;
    ASSERT_EQ(wait_writable(c, 5000), 0);
    EXPECT_EQ(connect_result(c), 0);
    ASSERT_EQ(wait_readable(l.sock.s, 5000), 0);

    sockaddr_storage peer{};
    int peer_len = sizeof peer;
    NativeSocket a = invalid_socket;
    ASSERT_EQ(accept(l.sock.s, a, &peer, &peer_len), 0);
    Socket server(a);
    EXPECT_EQ(peer.ss_family, AF_INET);
    EXPECT_EQ(peer_len, static_cast<int>(sizeof(sockaddr_in)));

    sockaddr_in name{};
    int len = sizeof name;
    ASSERT_EQ(peer_name(c, &name, &len), 0);
    EXPECT_EQ(name.sin_port, l.addr.sin_port);
    EXPECT_EQ(len, static_cast<int>(sizeof(sockaddr_in)));
    len = sizeof name;
    ASSERT_EQ(local_name(c, &name, &len), 0);
    EXPECT_EQ(name.sin_port, reinterpret_cast<sockaddr_in&>(peer).sin_port);
    len = 4;
    EXPECT_NE(local_name(c, &name, &len), 0) << "too small a buffer";
    EXPECT_EQ(local_name(c, nullptr, &len), WSAEFAULT);

    // The accepted socket is non-blocking too.
    char b;
    EXPECT_EQ(::recv(static_cast<SOCKET>(a), &b, 1, 0), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEWOULDBLOCK);
}

TEST(NetWin, Ipv6Loopback) {
    NativeSocket l = invalid_socket;
    if (open_tcp(AF_INET6, l) != 0)
        GTEST_SKIP() << "no IPv6 here";
    Socket listener(l);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    if (bind(l, &addr, sizeof addr) != 0)
        GTEST_SKIP() << "no IPv6 loopback here";
    ASSERT_EQ(listen(l, 1), 0);
    int len = sizeof addr;
    ASSERT_EQ(local_name(l, &addr, &len), 0);
    EXPECT_EQ(len, static_cast<int>(sizeof(sockaddr_in6)));
    NativeSocket c = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET6, c), 0);
    Socket client(c);
    const int rc = connect(c, &addr, sizeof addr);
    ASSERT_TRUE(rc == 0 || rc == WSAEWOULDBLOCK) << rc;
    ASSERT_EQ(wait_writable(c, 5000), 0);
    EXPECT_EQ(connect_result(c), 0);
    ASSERT_EQ(wait_readable(l, 5000), 0);
    sockaddr_in6 peer{};
    int peer_len = sizeof peer;
    NativeSocket a = invalid_socket;
    ASSERT_EQ(accept(l, a, &peer, &peer_len), 0);
    Socket server(a);
    EXPECT_EQ(peer.sin6_family, AF_INET6);
}

TEST(NetWin, RefusedConnectIsReportedByConnectResult) {
    sockaddr_in closed{};
    {
        Listener l; // take a port, then free it: nothing listens there any more
        closed = l.addr;
    }
    NativeSocket c = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET, c), 0);
    Socket client(c);
    const int rc = connect(c, &closed, sizeof closed);
    if (rc == WSAEWOULDBLOCK) {
        ASSERT_EQ(wait_writable(c, 5000), 0) << "a failed connect wakes the waiter";
        EXPECT_EQ(connect_result(c), WSAECONNREFUSED);
    } else {
        EXPECT_EQ(rc, WSAECONNREFUSED);
    }
}

TEST(NetWin, DataReadableBytesAndHalfClose) {
    Pair p;
    const char msg[] = "hello over winsock";
    ASSERT_EQ(send_all(p.client.s, msg, sizeof msg), static_cast<int>(sizeof msg));
    ASSERT_EQ(wait_readable(p.server.s, 5000), 0);
    int bytes = 0;
    for (int i = 0; i < 100 && bytes < static_cast<int>(sizeof msg); ++i) {
        ASSERT_EQ(readable_bytes(p.server.s, bytes), 0);
        if (bytes < static_cast<int>(sizeof msg))
            std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(bytes, static_cast<int>(sizeof msg));
    char buf[64] = {};
    ASSERT_EQ(recv_some(p.server.s, buf, sizeof buf), static_cast<int>(sizeof msg));
    EXPECT_STREQ(buf, msg);

    // The FIN: the server reads EOF but can still send back.
    ASSERT_EQ(shutdown_send(p.client.s), 0);
    EXPECT_EQ(recv_some(p.server.s, buf, sizeof buf), 0);
    ASSERT_EQ(send_all(p.server.s, "back", 4), 4);
    EXPECT_EQ(recv_some(p.client.s, buf, sizeof buf), 4);
}

TEST(NetWin, SendNowTakesThePartsInOrderWithoutBlocking) {
    Pair p;
    const ConstBytes parts[] = {{"now ", 4}, {"in order", 8}};
    std::size_t sent = 0;
    EXPECT_EQ(send_now(p.client.s, parts, sent), 0);
    EXPECT_EQ(sent, 12U);
    char buf[32] = {};
    int got = 0;
    while (got < 12 && wait_readable(p.server.s, 5000) == 0) {
        const int r = recv_some(p.server.s, buf + got, static_cast<int>(sizeof buf) - got);
        if (r <= 0)
            break;
        got += r;
    }
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(got)), "now in order");
    // Winsock has no count of unsent bytes: only riosp's own ring counts there.
    EXPECT_FALSE(has_unsent_data(p.client.s));
}

TEST(NetWin, SendNowOnAShutDownConnectionTakesNothingAndSaysWhy) {
    Pair p;
    ASSERT_EQ(shutdown_send(p.client.s), 0);
    const ConstBytes part[] = {{"late", 4}};
    std::size_t sent = 0;
    EXPECT_EQ(send_now(p.client.s, part, sent), WSAESHUTDOWN);
    EXPECT_EQ(sent, 0U);
}

bool under_wine() {
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

TEST(NetWin, AbortiveCloseResetsThePeer) {
    if (under_wine())
        GTEST_SKIP() << "Wine 8 closes a SO_LINGER {1,0} socket gracefully (the peer reads EOF, "
                        "not WSAECONNRESET); runs on Windows";
    Pair p;
    close(p.client.release(), true);
    char buf[8];
    EXPECT_EQ(recv_some(p.server.s, buf, sizeof buf), -WSAECONNRESET);
}

TEST(NetWin, GracefulCloseIsAnEof) {
    Pair p;
    ASSERT_EQ(send_all(p.client.s, "last", 4), 4);
    close(p.client.release(), false);
    char buf[8];
    EXPECT_EQ(recv_some(p.server.s, buf, sizeof buf), 4);
    EXPECT_EQ(recv_some(p.server.s, buf, sizeof buf), 0);
}

TEST(NetWin, OptionsRoundTrip) {
    NativeSocket s = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET, s), 0);
    Socket owned(s);
    int v = -1;
    for (Option o : {Option::no_delay, Option::keep_alive, Option::reuse_addr}) {
        ASSERT_EQ(set_option(s, o, 1), 0);
        ASSERT_EQ(get_option(s, o, v), 0);
        EXPECT_NE(v, 0);
        ASSERT_EQ(set_option(s, o, 0), 0);
        ASSERT_EQ(get_option(s, o, v), 0);
        EXPECT_EQ(v, 0);
    }
    for (Option o : {Option::send_buffer, Option::recv_buffer}) {
        ASSERT_EQ(set_option(s, o, 128 * 1024), 0);
        ASSERT_EQ(get_option(s, o, v), 0);
        EXPECT_EQ(v, 128 * 1024) << "Windows reports what was set";
    }
}

TEST(NetWin, PollerReportsAcceptOnceAndWakes) {
    Poller poller;
    ASSERT_EQ(poller.open(), 0);
    Listener l;
    int tag = 0;
    ASSERT_EQ(poller.arm(l.sock.s, true, false, &tag), 0);
    Poller::Event ev[4];
    EXPECT_EQ(poller.wait(ev, 4, 50), 0) << "nothing pending yet";

    NativeSocket c = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET, c), 0);
    Socket client(c);
    (void)connect(c, &l.addr, sizeof l.addr);
    int n = 0;
    for (int i = 0; i < 50 && n == 0; ++i)
        n = poller.wait(ev, 4, 100);
    ASSERT_EQ(n, 1);
    EXPECT_EQ(ev[0].tag, &tag);
    EXPECT_TRUE(ev[0].readable);
    EXPECT_FALSE(ev[0].error);
    EXPECT_EQ(poller.wait(ev, 4, 50), 0) << "one-shot: disarmed until armed again";

    ASSERT_EQ(poller.arm(l.sock.s, true, false, &tag), 0);
    EXPECT_EQ(poller.wait(ev, 4, 1000), 1) << "still pending after re-arming";
    ASSERT_EQ(poller.arm(l.sock.s, true, false, &tag), 0);
    poller.disarm(l.sock.s);
    EXPECT_EQ(poller.wait(ev, 4, 50), 0) << "disarmed";

    // wake() ends a wait on another thread at once.
    const auto start = std::chrono::steady_clock::now();
    std::thread waker([&] {
        std::this_thread::sleep_for(50ms);
        poller.wake();
    });
    EXPECT_EQ(poller.wait(ev, 4, 10000), 0);
    waker.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(NetWin, PollerSeesASocketArmedDuringAWait) {
    Poller poller;
    ASSERT_EQ(poller.open(), 0);
    Pair p;
    ASSERT_EQ(send_all(p.client.s, "x", 1), 1);
    int tag = 0;
    std::thread armer([&] {
        std::this_thread::sleep_for(50ms);
        EXPECT_EQ(poller.arm(p.server.s, true, false, &tag), 0);
    });
    Poller::Event ev[2];
    int n = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (n == 0 && std::chrono::steady_clock::now() < deadline)
        n = poller.wait(ev, 2, 10000);
    armer.join();
    ASSERT_EQ(n, 1);
    EXPECT_EQ(ev[0].tag, &tag);
    EXPECT_TRUE(ev[0].readable);
}

TEST(NetWin, PollerReportsWritableForAConnect) {
    Poller poller;
    ASSERT_EQ(poller.open(), 0);
    Listener l;
    NativeSocket c = invalid_socket;
    ASSERT_EQ(open_tcp(AF_INET, c), 0);
    Socket client(c);
    (void)connect(c, &l.addr, sizeof l.addr);
    int tag = 0;
    ASSERT_EQ(poller.arm(c, false, true, &tag), 0);
    Poller::Event ev[2];
    int n = 0;
    for (int i = 0; i < 50 && n == 0; ++i)
        n = poller.wait(ev, 2, 100);
    ASSERT_EQ(n, 1);
    EXPECT_TRUE(ev[0].writable);
    EXPECT_EQ(connect_result(c), 0);
}

TEST(NetWin, WakeEventIsManualResetUntilWaitedOn) {
    WakeEvent e;
    ASSERT_EQ(e.open(), 0);
    ASSERT_NE(e.native(), nullptr);
    EXPECT_EQ(WaitForSingleObject(e.native(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
    e.signal();
    EXPECT_EQ(WaitForSingleObject(e.native(), 0), WAIT_OBJECT_0);
    EXPECT_EQ(WaitForSingleObject(e.native(), 0), WAIT_OBJECT_0) << "manual reset";
    e.wait_and_reset(1000);
    EXPECT_EQ(WaitForSingleObject(e.native(), 0), static_cast<DWORD>(WAIT_TIMEOUT));
    const auto start = std::chrono::steady_clock::now();
    e.wait_and_reset(50);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms) << "times out when not signalled";
    std::thread t([&] { e.signal(); });
    e.wait_and_reset(5000);
    t.join();
}

} // namespace
} // namespace riosp::rio::net
