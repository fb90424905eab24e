// RIOCreateRequestQueue on provider sockets: one request queue per socket, as on Windows (a
// second call fails with WSAEINVAL and the first queue keeps working), and a call that fails
// changes nothing (the socket stays the provider's, its selected events keep coming).
#include "provider_datagram_fixture.h"

#include <cstring>
#include <string>

namespace riosp::test {
namespace {

// A registered region, a polled CQ of 16 and, per test, the RQs made over it.
struct AppRio {
    RIO_EXTENSION_FUNCTION_TABLE t{};
    char region[256] = {};
    RIO_BUFFERID buf = RIO_INVALID_BUFFERID;
    RIO_CQ cq = RIO_INVALID_CQ;

    explicit AppRio(SOCKET any) : t(rio_table_of(any)) {
        EXPECT_NE(t.RIORegisterBuffer, nullptr);
        if (t.RIORegisterBuffer == nullptr)
            return;
        buf = t.RIORegisterBuffer(region, sizeof region);
        cq = t.RIOCreateCompletionQueue(16, nullptr);
        EXPECT_NE(buf, RIO_INVALID_BUFFERID);
        EXPECT_NE(cq, RIO_INVALID_CQ);
    }
    ~AppRio() {
        if (t.RIORegisterBuffer == nullptr)
            return;
        RIORESULT drain[8];
        for (int i = 0; i < 100 && t.RIODequeueCompletion(cq, drain, 8) > 0; ++i) {
        }
        t.RIOCloseCompletionQueue(cq); // refused (harmlessly) if a test left an RQ on it
        t.RIODeregisterBuffer(buf);
    }
    RIO_RQ create(SOCKET s, ULONG data_buffers = 1) const {
        return t.RIOCreateRequestQueue(s, 2, data_buffers, 2, data_buffers, cq, cq,
                                       reinterpret_cast<void*>(0x5C));
    }
    // Sends `text` through rq and collects its completion.
    bool send(RIO_RQ rq, const std::string& text) {
        std::memcpy(region, text.data(), text.size());
        RIO_BUF slice{buf, 0, static_cast<ULONG>(text.size())};
        if (!t.RIOSend(rq, &slice, 1, 0, reinterpret_cast<void*>(1)))
            return false;
        RIORESULT r{};
        return dequeue_within(t, cq, r, 5000) && r.Status == 0 && r.BytesTransferred == text.size();
    }
};

class ProviderRio : public DatagramTest {};

TEST_F(ProviderRio, ASecondRequestQueueOnOneSocketFailsWithInvalidAndTheFirstKeepsWorking) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    AppRio app(s);
    const RIO_RQ first = app.create(s);
    ASSERT_NE(first, RIO_INVALID_RQ) << ws::WSAGetLastError();
    ws::WSASetLastError(0);
    EXPECT_EQ(app.create(s), RIO_INVALID_RQ) << "one request queue per socket";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    ASSERT_TRUE(app.send(first, "first"));
    std::string got;
    EXPECT_EQ(bsd::read_exact(peer, got, 5, 5000), 0);
    EXPECT_EQ(got, "first");
    ASSERT_EQ(ws::closesocket(s), 0);
    RIO_BUF slice{app.buf, 0, 1};
    ws::WSASetLastError(0);
    EXPECT_FALSE(app.t.RIOSend(first, &slice, 1, 0, nullptr)) << "closed with its socket";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    bsd::close_socket(peer);
}

// The failing call (a data-buffer maximum of 0) comes while FD_READ is selected, so the
// provider's receive is in flight: after it the socket's own receives work again and data
// arriving later still raises FD_READ. Then a good call takes the socket.
TEST_F(ProviderRio, AFailedRequestQueueCreationLeavesAStreamSocketTheProviders) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    AppRio app(s);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(s, ev, FD_READ | FD_CLOSE), 0);
    ws::WSASetLastError(0);
    EXPECT_EQ(app.create(s, 0), RIO_INVALID_RQ);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    ASSERT_EQ(bsd::send_all(peer, "later"), 0);
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0)
        << "FD_READ for data that came after the failed call";
    WSANETWORKEVENTS ne{};
    ASSERT_EQ(ws::WSAEnumNetworkEvents(s, ev, &ne), 0);
    EXPECT_NE(ne.lNetworkEvents & FD_READ, 0);
    char in[8] = {};
    EXPECT_EQ(ws::recv(s, in, sizeof in, 0), 5) << ws::WSAGetLastError();
    EXPECT_EQ(std::string(in, 5), "later");
    EXPECT_EQ(send_str(s, "own"), 3) << ws::WSAGetLastError();
    std::string got;
    EXPECT_EQ(bsd::read_exact(peer, got, 3, 5000), 0);
    EXPECT_EQ(got, "own");
    const RIO_RQ rq = app.create(s);
    ASSERT_NE(rq, RIO_INVALID_RQ) << ws::WSAGetLastError();
    EXPECT_TRUE(app.send(rq, "taken"));
    got.clear();
    EXPECT_EQ(bsd::read_exact(peer, got, 5, 5000), 0);
    EXPECT_EQ(got, "taken");
    ws::closesocket(s);
    ws::WSACloseEvent(ev);
    bsd::close_socket(peer);
}

TEST_F(ProviderRio, AFailedRequestQueueCreationLeavesADatagramSocketTheProviders) {
    std::uint16_t pa = 0, pp = 0;
    SOCKET a = bound_udp(pa);
    SOCKET peer = bound_udp(pp);
    AppRio app(a);
    WSAEVENT ev = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(a, ev, FD_READ), 0);
    ws::WSASetLastError(0);
    EXPECT_EQ(app.create(a, 0), RIO_INVALID_RQ);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    ASSERT_EQ(send_to(peer, pa, "later"), 5);
    ASSERT_EQ(ws::WSAWaitForMultipleEvents(1, &ev, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0)
        << "FD_READ for a datagram that came after the failed call";
    EXPECT_EQ(recv_within(a, 5000), "later");
    EXPECT_EQ(send_to(a, pp, "own"), 3) << ws::WSAGetLastError();
    EXPECT_EQ(recv_within(peer, 5000), "own");
    ASSERT_EQ(ws::WSAEventSelect(a, ev, 0), 0);
    // Through the send area (RIOSP_UDP_SENDS=ring) "own" may still count as in flight a moment
    // after the peer has it: the socket is busy (WSAEINVAL) until its completion is handled.
    RIO_RQ rq = RIO_INVALID_RQ;
    for (int i = 0; i < 500 && (rq = app.create(a)) == RIO_INVALID_RQ; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_NE(rq, RIO_INVALID_RQ) << ws::WSAGetLastError();
    ws::closesocket(a);
    ws::closesocket(peer);
    ws::WSACloseEvent(ev);
}

} // namespace
} // namespace riosp::test
