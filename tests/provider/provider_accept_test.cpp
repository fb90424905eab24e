// WSPAccept never drops a connection it took from the kernel: a call that cannot hand it out
// (an address buffer too small, a full socket table, a condition function that defers) leaves
// it queued, first in line for the next accept; and FD_ACCEPT is re-enabled by every accept
// call, failed or not, except one that deferred (WSAEventSelect's re-enabling rules).
#include "provider_fixture.h"

#ifndef _WIN32
#include <sys/resource.h>
#include <unistd.h>
#endif

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

using namespace std::chrono_literals;

void set_env(const char* name, const char* value) {
#ifdef _WIN32
    (void)_putenv_s(name, value == nullptr ? "" : value);
#else
    if (value == nullptr)
        (void)unsetenv(name);
    else
        (void)setenv(name, value, 1);
#endif
}

// A non-blocking provider listener on ::1; its address to `at`.
SOCKET v6_listener(sockaddr_in6& at) {
    SOCKET ls = ws::socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    EXPECT_NE(ls, INVALID_SOCKET);
    at = sockaddr_in6{};
    at.sin6_family = AF_INET6;
    at.sin6_addr.s6_addr[15] = 1;
    int len = sizeof at;
    EXPECT_EQ(ws::bind(ls, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
    EXPECT_EQ(ws::listen(ls, 8), 0);
    EXPECT_EQ(ws::getsockname(ls, reinterpret_cast<sockaddr*>(&at), &len), 0);
    u_long on = 1;
    EXPECT_EQ(ws::ioctlsocket(ls, static_cast<long>(FIONBIO), &on), 0);
    return ls;
}

// A listener's accept, retried while the kernel has not queued the connection yet.
SOCKET accept_within(SOCKET ls, sockaddr* addr, int* len, LPCONDITIONPROC condition = nullptr,
                     DWORD_PTR data = 0) {
    for (int i = 0; i < 500; ++i) {
        SOCKET s = ws::WSAAccept(ls, addr, len, condition, data);
        if (s != INVALID_SOCKET || ws::WSAGetLastError() != WSAEWOULDBLOCK)
            return s;
        std::this_thread::sleep_for(2ms);
    }
    return INVALID_SOCKET;
}

// Whether `s` (a provider socket) has heard nothing from its peer: no byte, no FIN, no reset.
bool hears_nothing(SOCKET s) {
    u_long on = 1;
    if (ws::ioctlsocket(s, static_cast<long>(FIONBIO), &on) != 0)
        return false;
    std::this_thread::sleep_for(50ms);
    char c = 0;
    return ws::recv(s, &c, 1, 0) == SOCKET_ERROR && ws::WSAGetLastError() == WSAEWOULDBLOCK;
}

// What a blocking provider receive of exactly `n` bytes got.
std::string receive(SOCKET s, std::size_t n) {
    std::string got(n, '\0');
    std::size_t at = 0;
    while (at < n) {
        const int r = ws::recv(s, got.data() + at, static_cast<int>(n - at), 0);
        if (r <= 0)
            break;
        at += static_cast<std::size_t>(r);
    }
    got.resize(at);
    return got;
}

TEST_F(ProviderTest, AnIpv6AcceptWithAShortAddressLengthFailsAndKeepsTheConnection) {
    sockaddr_in6 at{};
    SOCKET ls = v6_listener(at);
    SOCKET client = ws::socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_EQ(ws::connect(client, reinterpret_cast<sockaddr*>(&at), sizeof at), 0)
        << ws::WSAGetLastError();
    sockaddr_in6 from{};
    int short_len = sizeof(sockaddr_in); // 16: enough for IPv4, not for IPv6 (28)
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(ws::accept(ls, reinterpret_cast<sockaddr*>(&from), &short_len), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEFAULT);
    EXPECT_TRUE(hears_nothing(client)) << "the connection was neither closed nor reset";

    int len = sizeof from;
    SOCKET s = accept_within(ls, reinterpret_cast<sockaddr*>(&from), &len);
    ASSERT_NE(s, INVALID_SOCKET) << "the connection is still there: " << ws::WSAGetLastError();
    EXPECT_EQ(len, static_cast<int>(sizeof(sockaddr_in6)));
    EXPECT_EQ(from.sin6_family, AF_INET6);
    ASSERT_EQ(ws::send(client, "six", 3, 0), 3);
    u_long off = 0;
    ASSERT_EQ(ws::ioctlsocket(s, static_cast<long>(FIONBIO), &off), 0);
    EXPECT_EQ(receive(s, 3), "six");
    ws::closesocket(s);
    ws::closesocket(client);
    ws::closesocket(ls);
}

// Condition functions: the verdict is the callback data; the caller's port is remembered.
std::uint16_t g_caller_port = 0;
int CALLBACK decide(LPWSABUF caller, LPWSABUF, LPQOS, LPQOS, LPWSABUF, LPWSABUF, GROUP*,
                    DWORD_PTR verdict) {
    if (caller != nullptr && caller->len >= sizeof(sockaddr_in)) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(caller->buf);
        g_caller_port =
            static_cast<std::uint16_t>((a->sin_port >> 8) | ((a->sin_port & 0xff) << 8));
    }
    return static_cast<int>(verdict);
}

TEST_F(ProviderTest, ADeferredConnectionStaysQueuedAndComesFirstToTheNextAccept) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(ls, static_cast<long>(FIONBIO), &on), 0);
    const int first = bsd::connect_loopback(port);
    ASSERT_GE(first, 0);
    g_caller_port = 0;
    EXPECT_EQ(accept_within(ls, nullptr, nullptr, decide, CF_DEFER), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSATRY_AGAIN);
    const std::uint16_t deferred_port = g_caller_port;
    EXPECT_NE(deferred_port, 0);
    char c = 0;
    EXPECT_EQ(bsd::recv_exact(first, &c, 1, 50), ETIMEDOUT) << "no FIN, no reset";

    const int second = bsd::connect_loopback(port);
    ASSERT_GE(second, 0);
    std::this_thread::sleep_for(20ms);
    g_caller_port = 0;
    SOCKET a = accept_within(ls, nullptr, nullptr, decide, CF_ACCEPT);
    ASSERT_NE(a, INVALID_SOCKET) << ws::WSAGetLastError();
    EXPECT_EQ(g_caller_port, deferred_port) << "the condition function sees it again";
    SOCKET b = accept_within(ls, nullptr, nullptr);
    ASSERT_NE(b, INVALID_SOCKET) << ws::WSAGetLastError();
    ASSERT_EQ(bsd::send_all(first, "first"), 0);
    ASSERT_EQ(bsd::send_all(second, "second"), 0);
    u_long off = 0;
    ASSERT_EQ(ws::ioctlsocket(a, static_cast<long>(FIONBIO), &off), 0);
    ASSERT_EQ(ws::ioctlsocket(b, static_cast<long>(FIONBIO), &off), 0);
    EXPECT_EQ(receive(a, 5), "first") << "the deferred connection came first";
    EXPECT_EQ(receive(b, 6), "second");
    ws::closesocket(a);
    ws::closesocket(b);
    ws::closesocket(ls);
    bsd::close_socket(first);
    bsd::close_socket(second);
}

TEST_F(ProviderTest, ARejectedConnectionIsRefusedAndTheNextOneServed) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(ls, static_cast<long>(FIONBIO), &on), 0);
    const int rejected = bsd::connect_loopback(port);
    ASSERT_GE(rejected, 0);
    EXPECT_EQ(accept_within(ls, nullptr, nullptr, decide, CF_REJECT), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAECONNREFUSED);
    char c = 0;
    EXPECT_NE(bsd::recv_exact(rejected, &c, 1, 2000), ETIMEDOUT) << "the peer heard the refusal";
    SOCKET s = ws::accept(ls, nullptr, nullptr);
    EXPECT_EQ(s, INVALID_SOCKET) << "nothing left";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK);
    ws::closesocket(ls);
    bsd::close_socket(rejected);
}

TEST_F(ProviderTest, ClosingAListenerResetsTheConnectionItDeferred) {
    if (!bsd::tcp_resets_work())
        GTEST_SKIP() << "SO_LINGER {1,0} closes gracefully here (Wine 8): no RST to see";
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(ls, static_cast<long>(FIONBIO), &on), 0);
    const int client = bsd::connect_loopback(port);
    ASSERT_GE(client, 0);
    EXPECT_EQ(accept_within(ls, nullptr, nullptr, decide, CF_DEFER), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSATRY_AGAIN);
    ASSERT_EQ(ws::closesocket(ls), 0);
    char c = 0;
    EXPECT_EQ(bsd::recv_exact(client, &c, 1, 2000), ECONNRESET);
    bsd::close_socket(client);
}

// FD_ACCEPT: recorded, then re-enabled by the next accept call (Windows: "accept or WSAAccept,
// unless the error code returned is WSATRY_AGAIN").
bool fd_accept_within(SOCKET ls, WSAEVENT ev, int ms) {
    if (ws::WSAWaitForMultipleEvents(1, &ev, TRUE, static_cast<DWORD>(ms), FALSE) !=
        WSA_WAIT_EVENT_0)
        return false;
    WSANETWORKEVENTS ne{};
    return ws::WSAEnumNetworkEvents(ls, ev, &ne) == 0 && (ne.lNetworkEvents & FD_ACCEPT) != 0;
}

TEST_F(ProviderTest, ADeferralDoesNotReEnableFdAcceptTheNextAcceptDoes) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(ls, ev, FD_ACCEPT), 0);
    const int first = bsd::connect_loopback(port);
    ASSERT_TRUE(fd_accept_within(ls, ev, 2000));
    EXPECT_EQ(ws::WSAAccept(ls, nullptr, nullptr, decide, CF_DEFER), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSATRY_AGAIN);
    const int second = bsd::connect_loopback(port);
    EXPECT_FALSE(fd_accept_within(ls, ev, 200)) << "WSATRY_AGAIN re-enables nothing";
    SOCKET a = ws::accept(ls, nullptr, nullptr); // the deferred one; re-enables FD_ACCEPT
    ASSERT_NE(a, INVALID_SOCKET) << ws::WSAGetLastError();
    EXPECT_TRUE(fd_accept_within(ls, ev, 2000)) << "the second connection is pending";
    SOCKET b = ws::accept(ls, nullptr, nullptr);
    EXPECT_NE(b, INVALID_SOCKET) << ws::WSAGetLastError();
    ws::closesocket(a);
    ws::closesocket(b);
    ws::closesocket(ls);
    ws::WSACloseEvent(ev);
    bsd::close_socket(first);
    bsd::close_socket(second);
}

// The application's descriptors all taken (the process's limit lowered to what is open), so
// the kernel's accept fails with EMFILE; restored on destruction. Linux only.
class DescriptorsExhausted {
public:
    DescriptorsExhausted() {
#ifndef _WIN32
        (void)getrlimit(RLIMIT_NOFILE, &saved_);
        int highest = 0;
        for (int fd = 0; fd < 65536; ++fd)
            if (fcntl_ok(fd))
                highest = fd;
        rlimit lowered = saved_;
        lowered.rlim_cur = static_cast<rlim_t>(highest + 1);
        ok_ = setrlimit(RLIMIT_NOFILE, &lowered) == 0;
        for (int fd = dup(0); fd >= 0; fd = dup(0)) // fill the holes below the limit
            fillers_.push_back(fd);
#endif
    }
    ~DescriptorsExhausted() {
#ifndef _WIN32
        for (int fd : fillers_)
            (void)close(fd);
        (void)setrlimit(RLIMIT_NOFILE, &saved_);
#endif
    }
    [[nodiscard]] bool ok() const noexcept {
        return ok_;
    }

private:
#ifndef _WIN32
    static bool fcntl_ok(int fd) {
        return dup2(fd, fd) == fd;
    }
    rlimit saved_{};
    std::vector<int> fillers_;
#endif
    bool ok_ = false;
};

TEST_F(ProviderTest, FdAcceptFiresAgainAfterAnAcceptThatFailed) {
#ifdef _WIN32
    GTEST_SKIP() << "needs the process's descriptor limit (Linux)";
#endif
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(ls, ev, FD_ACCEPT), 0);
    const int client = bsd::connect_loopback(port);
    ASSERT_GE(client, 0);
    ASSERT_TRUE(fd_accept_within(ls, ev, 2000));
    {
        DescriptorsExhausted full;
        ASSERT_TRUE(full.ok());
        EXPECT_EQ(ws::accept(ls, nullptr, nullptr), INVALID_SOCKET);
        EXPECT_EQ(ws::WSAGetLastError(), WSAEMFILE);
    }
    EXPECT_TRUE(fd_accept_within(ls, ev, 2000))
        << "the failed accept re-enabled FD_ACCEPT: the connection still waits";
    SOCKET s = ws::accept(ls, nullptr, nullptr);
    EXPECT_NE(s, INVALID_SOCKET) << ws::WSAGetLastError();
    ws::closesocket(s);
    ws::closesocket(ls);
    ws::WSACloseEvent(ev);
    bsd::close_socket(client);
}

// RIOSP_MAX_SOCKETS caps the provider's sockets; these tests set it before their WSAStartup.
class ProviderSocketLimit : public ProviderTest {
protected:
    void SetUp() override {
        set_env("RIOSP_MAX_SOCKETS", "2");
        ProviderTest::SetUp();
    }
    void TearDown() override {
        ProviderTest::TearDown();
        set_env("RIOSP_MAX_SOCKETS", nullptr);
    }
};

TEST_F(ProviderSocketLimit, AnAcceptWithAFullSocketTableFailsAndKeepsTheConnection) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    u_long on = 1;
    ASSERT_EQ(ws::ioctlsocket(ls, static_cast<long>(FIONBIO), &on), 0);
    SOCKET filler = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(filler, INVALID_SOCKET);
    EXPECT_EQ(ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), INVALID_SOCKET) << "the table is full";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMFILE);
    const int client = bsd::connect_loopback(port);
    ASSERT_GE(client, 0);
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(accept_within(ls, nullptr, nullptr), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMFILE);
    char c = 0;
    EXPECT_EQ(bsd::recv_exact(client, &c, 1, 50), ETIMEDOUT) << "no FIN, no reset";

    ws::closesocket(filler);
    SOCKET s = accept_within(ls, nullptr, nullptr);
    ASSERT_NE(s, INVALID_SOCKET) << ws::WSAGetLastError();
    ASSERT_EQ(bsd::send_all(client, "kept"), 0);
    u_long off = 0;
    ASSERT_EQ(ws::ioctlsocket(s, static_cast<long>(FIONBIO), &off), 0);
    EXPECT_EQ(receive(s, 4), "kept");
    ws::closesocket(s);
    ws::closesocket(ls);
    bsd::close_socket(client);
}

TEST_F(ProviderSocketLimit, FdAcceptFiresAgainAfterAnAcceptRefusedForAFullTable) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(ls, ev, FD_ACCEPT), 0);
    SOCKET filler = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(filler, INVALID_SOCKET);
    const int client = bsd::connect_loopback(port);
    ASSERT_TRUE(fd_accept_within(ls, ev, 2000));
    EXPECT_EQ(ws::accept(ls, nullptr, nullptr), INVALID_SOCKET);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEMFILE);
    EXPECT_TRUE(fd_accept_within(ls, ev, 2000)) << "the connection still waits";
    ws::closesocket(filler);
    SOCKET s = ws::accept(ls, nullptr, nullptr);
    EXPECT_NE(s, INVALID_SOCKET) << ws::WSAGetLastError();
    ws::closesocket(s);
    ws::closesocket(ls);
    ws::WSACloseEvent(ev);
    bsd::close_socket(client);
}

} // namespace
} // namespace riosp::test
