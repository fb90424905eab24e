// rio/caller.h: blocking calls that wait in the calling thread, on sockets made by rio::net in
// the platform's mode (Linux: blocking, so each is the plain blocking system call; Windows:
// non-blocking, waiting in slices), and Wait::interrupt, which is how closesocket ends them.
// Platform-free: addresses are Windows-layout bytes, as rio::net takes them.
#include "rio_test_os.h"

#include <rio/caller.h>
#include <rio/net.h>
#include <rio/wsa_error.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace riosp::rio::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// sockaddr_in in the Windows layout: family 2, port (network order), address, zeros.
struct WinAddr4 {
    std::uint16_t family = 2;
    std::uint16_t port_be = 0;
    std::array<std::uint8_t, 4> addr{127, 0, 0, 1};
    std::array<std::uint8_t, 8> zero{};
};
static_assert(sizeof(WinAddr4) == 16);

class CallerTest : public ::testing::Test {
protected:
    void SetUp() override {
        Sock unused_a = net::invalid_socket, unused_b = net::invalid_socket;
        // rio_test_os starts the platform's socket library (Winsock) on first use.
        ASSERT_TRUE(open_tcp_pair(unused_a, unused_b));
        close_socket(unused_a);
        close_socket(unused_b);
        ASSERT_EQ(net::open_tcp(2, listener_), 0);
        ASSERT_EQ(net::bind(listener_, &addr_, sizeof addr_), 0);
        ASSERT_EQ(net::listen(listener_, 16), 0);
        int len = sizeof addr_;
        ASSERT_EQ(net::local_name(listener_, &addr_, &len), 0);
    }
    void TearDown() override {
        for (Sock s : {client_, server_, listener_})
            if (s != net::invalid_socket)
                net::close(s, false);
    }

    // client_ connected (caller::connect) to server_ (caller::accept on another thread).
    void connect_pair() {
        int accepted = -1;
        std::thread acceptor([&] {
            caller::Wait w;
            accepted = caller::accept(listener_, server_, nullptr, nullptr, w);
        });
        caller::Wait w;
        ASSERT_EQ(net::open_tcp(2, client_), 0);
        EXPECT_EQ(caller::connect(client_, &addr_, sizeof addr_, w), 0);
        acceptor.join();
        ASSERT_EQ(accepted, 0);
    }

    // A thread that sends `text` on `s` after `delay` (joined by the caller).
    static std::thread send_later(Sock s, const char* text, std::chrono::milliseconds delay) {
        return std::thread([s, text, delay] {
            std::this_thread::sleep_for(delay);
            std::size_t sent = 0;
            const net::ConstBytes b{text, std::strlen(text)};
            (void)net::send_now(s, std::span(&b, 1), sent);
        });
    }

    Result<std::size_t> receive(Sock s, char* buf, std::size_t n, caller::Wait& w,
                                std::chrono::microseconds spin = {}) {
        const net::MutableBytes part{buf, n};
        return caller::receive(s, std::span(&part, 1), spin, w);
    }

    WinAddr4 addr_;
    Sock listener_ = net::invalid_socket;
    Sock client_ = net::invalid_socket;
    Sock server_ = net::invalid_socket;
};

TEST_F(CallerTest, AcceptAndConnectWaitInTheirThreadsAndPairUp) {
    connect_pair();
    std::size_t sent = 0;
    const net::ConstBytes hello{"hello", 5};
    ASSERT_EQ(net::send_now(client_, std::span(&hello, 1), sent), 0);
    EXPECT_EQ(sent, 5U);
    char buf[16] = {};
    caller::Wait w;
    auto r = receive(server_, buf, sizeof buf, w);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(std::string(buf, r.value()), "hello");
}

TEST_F(CallerTest, ReceiveWaitsForBytesThatComeLaterAndScattersThemInOrder) {
    connect_pair();
    std::thread late = send_later(server_, "abcdef", 30ms);
    char first[2] = {}, rest[8] = {};
    const std::array<net::MutableBytes, 2> parts{{{first, 2}, {rest, 8}}};
    caller::Wait w;
    std::size_t got = 0;
    while (got < 6) { // the kernel may hand the bytes over in more than one piece
        auto r = caller::receive(client_, got == 0 ? std::span(parts) : std::span(parts).subspan(1),
                                 {}, w);
        ASSERT_TRUE(r.ok()) << r.error();
        ASSERT_GT(r.value(), 0U);
        got += r.value();
    }
    late.join();
    EXPECT_EQ(std::string(first, 2) + std::string(rest, 4), "abcdef");
}

TEST_F(CallerTest, ReceiveReturnsZeroAtThePeersFin) {
    connect_pair();
    ASSERT_EQ(net::shutdown_send(server_), 0);
    char buf[4];
    caller::Wait w;
    auto r = receive(client_, buf, sizeof buf, w);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r.value(), 0U);
}

TEST_F(CallerTest, InterruptEndsABlockedReceiveWithEintrAndPutsNothingOnTheWire) {
    connect_pair();
    caller::Wait w;
    Result<std::size_t> r = std::size_t{0};
    std::atomic<bool> done{false};
    std::thread blocked([&] {
        char buf[4];
        r = receive(client_, buf, sizeof buf, w);
        done = true;
    });
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(done.load()) << "nothing was sent: the receive must still wait";
    const auto t0 = Clock::now();
    w.interrupt(client_);
    blocked.join();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(r.error(), wsa::eintr);
    // No FIN and no reset reached the peer.
    EXPECT_FALSE(readable(server_, 100));
}

TEST_F(CallerTest, AnInterruptBeforeTheCallEndsItAtOnce) {
    connect_pair();
    caller::Wait w;
    w.interrupt(client_);
    char buf[4];
    const auto t0 = Clock::now();
    auto r = receive(client_, buf, sizeof buf, w);
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(r.error(), wsa::eintr);
}

TEST_F(CallerTest, InterruptEndsABlockedAcceptWithEintr) {
    caller::Wait w;
    int err = 0;
    std::thread blocked([&] {
        Sock s = net::invalid_socket;
        err = caller::accept(listener_, s, nullptr, nullptr, w);
        if (s != net::invalid_socket)
            net::close(s, false);
    });
    std::this_thread::sleep_for(50ms);
    const auto t0 = Clock::now();
    w.interrupt(listener_);
    blocked.join();
    EXPECT_LT(Clock::now() - t0, 2s);
    EXPECT_EQ(err, wsa::eintr);
}

TEST_F(CallerTest, BytesTheKernelAlreadyGaveWinOverAnInterrupt) {
    connect_pair();
    std::size_t sent = 0;
    const net::ConstBytes b{"x", 1};
    ASSERT_EQ(net::send_now(server_, std::span(&b, 1), sent), 0);
    ASSERT_TRUE(readable(client_, 2000));
    caller::Wait w;
    w.interrupt(client_); // Linux: SHUT_RD leaves the queued byte readable
    char buf[4];
    auto r = receive(client_, buf, sizeof buf, w);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r.value(), 1U);
}

TEST_F(CallerTest, BusyPollReceiveTakesTheBytesWhileSpinning) {
    connect_pair();
    std::thread late = send_later(server_, "spin", 5ms);
    char buf[8] = {};
    caller::Wait w;
    auto r = receive(client_, buf, sizeof buf, w, std::chrono::microseconds(500'000));
    late.join();
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(std::string(buf, r.value()), std::string("spin").substr(0, r.value()));
    EXPECT_GT(r.value(), 0U);
}

TEST_F(CallerTest, SendNowReportsTheConnectionsErrorAfterAPeerReset) {
#ifdef _WIN32
    GTEST_SKIP() << "Wine closes a SO_LINGER {1,0} socket gracefully: no reset to see";
#else
    connect_pair();
    net::close(server_, true); // RST
    server_ = net::invalid_socket;
    ASSERT_TRUE(readable(client_, 2000));
    std::size_t sent = 0;
    const net::ConstBytes b{"late", 4};
    int err = net::send_now(client_, std::span(&b, 1), sent);
    // The reset is reported once (to whichever call comes first); afterwards the socket is shut
    // both ways and a send says so with the same code.
    EXPECT_EQ(err, wsa::econnreset);
    EXPECT_EQ(net::send_now(client_, std::span(&b, 1), sent), wsa::econnreset);
#endif
}

TEST_F(CallerTest, APeekLeavesTheBytesForTheNextReceive) {
    connect_pair();
    std::size_t sent = 0;
    const net::ConstBytes b{"abc", 3};
    ASSERT_EQ(net::send_now(server_, std::span(&b, 1), sent), 0);
    ASSERT_TRUE(readable(client_, 2000));
    char buf[8] = {};
    const net::MutableBytes part{buf, sizeof buf};
    caller::Wait w;
    auto r = caller::receive(client_, std::span(&part, 1), 0us, w, net::Receive::peek);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::string(buf, r.value()), "abc");
    std::size_t got = 0;
    ASSERT_EQ(net::recv_now(client_, std::span(&part, 1), got, net::Receive::peek), 0);
    EXPECT_EQ(got, 3u);
    r = caller::receive(client_, std::span(&part, 1), 0us, w);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), 3u) << "the peeked bytes are still there";
    EXPECT_EQ(net::recv_now(client_, std::span(&part, 1), got), wsa::ewouldblock);
}

TEST_F(CallerTest, NonBlockingModeMakesReceiveNowAnswerWouldBlock) {
    connect_pair();
    ASSERT_EQ(net::set_non_blocking(client_, true), 0);
    char buf[4];
    const net::MutableBytes part{buf, sizeof buf};
    std::size_t got = 0;
    EXPECT_EQ(net::recv_now(client_, std::span(&part, 1), got), wsa::ewouldblock);
    EXPECT_EQ(net::set_non_blocking(client_, false), 0);
}

} // namespace
} // namespace riosp::rio::test
