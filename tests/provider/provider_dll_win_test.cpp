// Windows: riosp_provider.dll loaded through WSPStartup by riosp's host (the tests' stand-in
// for ws2_32: it supplies the upcalls and the Winsock API, namespace riosp::ws) and driven
// over the wire against a plain Winsock peer, on rio's overlapped backend (under Wine there is
// no native RIO). Calls into riosp are spelled ws::, the peer's are Winsock's own (::).
#include <riosp/ws.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace riosp::test {
namespace {

// A connected pair: `s` is a riosp socket, `peer` a Winsock one.
class ProviderDll : public ::testing::Test {
protected:
    void SetUp() override {
        WSADATA data;
        ASSERT_EQ(::WSAStartup(MAKEWORD(2, 2), &data), 0);
        ASSERT_EQ(ws::WSAStartup(MAKEWORD(2, 2), &data), 0)
            << "riosp_provider.dll through WSPStartup";
        listener_ = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        ASSERT_NE(listener_, INVALID_SOCKET);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int len = sizeof addr;
        ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len), 0);
        ASSERT_EQ(::listen(listener_, 4), 0);
        ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
        s_ = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        ASSERT_NE(s_, INVALID_SOCKET) << ws::WSAGetLastError();
        ASSERT_EQ(ws::connect(s_, reinterpret_cast<const sockaddr*>(&addr), len), 0)
            << ws::WSAGetLastError();
        peer_ = ::accept(listener_, nullptr, nullptr);
        ASSERT_NE(peer_, INVALID_SOCKET);
    }
    void TearDown() override {
        if (s_ != INVALID_SOCKET)
            (void)ws::closesocket(s_);
        if (peer_ != INVALID_SOCKET)
            ::closesocket(peer_);
        if (listener_ != INVALID_SOCKET)
            ::closesocket(listener_);
        ws::WSACleanup();
        ::WSACleanup();
    }

    // What the peer reads until EOF (or an error / 5 s): the bytes, and whether EOF came.
    std::string peer_read_to_eof(bool& eof) const {
        DWORD timeout = 5000;
        ::setsockopt(peer_, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&timeout),
                     sizeof timeout);
        std::string out;
        char buf[4096];
        eof = false;
        for (;;) {
            const int n = ::recv(peer_, buf, sizeof buf, 0);
            if (n <= 0) {
                eof = n == 0;
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    int send_text(const std::string& text) const {
        return ws::send(s_, text.data(), static_cast<int>(text.size()), 0);
    }

    SOCKET listener_ = INVALID_SOCKET;
    SOCKET s_ = INVALID_SOCKET;
    SOCKET peer_ = INVALID_SOCKET;
};

TEST_F(ProviderDll, CarriesBytesBothWays) {
    ASSERT_EQ(send_text("hello"), 5) << ws::WSAGetLastError();
    char buf[16] = {};
    ASSERT_EQ(::recv(peer_, buf, 5, MSG_WAITALL), 5);
    EXPECT_EQ(std::string(buf, 5), "hello");
    ASSERT_EQ(::send(peer_, "world!", 6, 0), 6);
    int got = 0;
    while (got < 6) {
        const int n = ws::recv(s_, buf + got, 6 - got, 0);
        ASSERT_GT(n, 0) << ws::WSAGetLastError();
        got += n;
    }
    EXPECT_EQ(std::string(buf, 6), "world!");
}

TEST_F(ProviderDll, SendDisconnectDeliversEveryByteThenTheFinAndFurtherSendsAreShutDown) {
    const std::string big(256 * 1024, 'x'); // more than one ring's worth, still in flight
    ASSERT_EQ(send_text(big), static_cast<int>(big.size())) << ws::WSAGetLastError();
    ASSERT_EQ(ws::WSASendDisconnect(s_, nullptr), 0) << ws::WSAGetLastError();
    bool eof = false;
    EXPECT_EQ(peer_read_to_eof(eof).size(), big.size());
    EXPECT_TRUE(eof) << "the peer sees the FIN after the data";
    EXPECT_EQ(send_text("late"), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAESHUTDOWN);
    // The receive side is still open: the half-close is half.
    ASSERT_EQ(::send(peer_, "still", 5, 0), 5);
    char buf[8];
    EXPECT_EQ(ws::recv(s_, buf, sizeof buf, 0), 5);
}

TEST_F(ProviderDll, ThePeersFinEndsReceivesWithZeroBytesAfterTheData) {
    ASSERT_EQ(::send(peer_, "last", 4, 0), 4);
    ASSERT_EQ(::shutdown(peer_, SD_SEND), 0);
    char buf[16];
    int got = 0;
    int n = 0;
    while ((n = ws::recv(s_, buf + got, static_cast<int>(sizeof buf) - got, 0)) > 0)
        got += n;
    EXPECT_EQ(n, 0) << ws::WSAGetLastError();
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(got)), "last");
    EXPECT_EQ(ws::recv(s_, buf, sizeof buf, 0), 0) << "and stays at EOF";
    ASSERT_EQ(send_text("reply"), 5) << "our direction is still open";
}

TEST_F(ProviderDll, ShutdownBothThenCloseGivesThePeerEofAndTheHandleIsGone) {
    ASSERT_EQ(send_text("bye"), 3);
    ASSERT_EQ(ws::shutdown(s_, SD_BOTH), 0) << ws::WSAGetLastError();
    bool eof = false;
    EXPECT_EQ(peer_read_to_eof(eof), "bye");
    EXPECT_TRUE(eof);
    ASSERT_EQ(ws::closesocket(s_), 0);
    const SOCKET closed = s_;
    s_ = INVALID_SOCKET;
    EXPECT_EQ(ws::send(closed, "x", 1, 0), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOTSOCK);
}

TEST_F(ProviderDll, AnUnconnectedSocketAnswersNotConnected) {
    const SOCKET fresh = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(fresh, INVALID_SOCKET);
    EXPECT_EQ(ws::WSASendDisconnect(fresh, nullptr), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOTCONN);
    EXPECT_EQ(ws::shutdown(fresh, SD_SEND), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOTCONN);
    EXPECT_EQ(ws::closesocket(fresh), 0);
}

} // namespace
} // namespace riosp::test
