// Datagrams on the rings: RIOSendEx / RIOReceiveEx on UDP request queues, through the C table,
// on every backend of the platform (the table's CQs are made in C++ on the backend under test
// and adopted by the table). The peer is a plain UDP socket.
#include "rio_test_support.h"

#include "support/alloc_counter.h"

#include <rio/rio_table.h>
#include <rio/rio_testing.h>
#include <rio/wsa_error.h>

#include <cstring>

namespace riosp::rio::test {
namespace {

constexpr ULONG kAddr = 28; // a SOCKADDR_INET

std::uint16_t family_of(const WinAddress& a) {
    std::uint16_t f = 0;
    std::memcpy(&f, a.data(), sizeof f);
    return f;
}

// The bytes of the address its family defines (sockaddr_in: 16, sockaddr_in6: 28).
std::string address_bytes(const char* a) {
    std::uint16_t f = 0;
    std::memcpy(&f, a, sizeof f);
    return std::string(a, f == 2 ? 16 : 28);
}

// Two bound loopback UDP sockets: `local` goes to rio, `peer` stays plain.
struct UdpPair {
    Sock local = net::invalid_socket;
    Sock peer = net::invalid_socket;
    explicit UdpPair(bool v6 = false) : local(open_udp(v6)), peer(open_udp(v6)) {
        EXPECT_NE(local, net::invalid_socket);
        EXPECT_NE(peer, net::invalid_socket);
    }
    ~UdpPair() {
        close_socket(local);
        close_socket(peer);
    }
    UdpPair(const UdpPair&) = delete;
    UdpPair& operator=(const UdpPair&) = delete;
    bool connect_both() {
        return connect_to(local, local_address(peer)) && connect_to(peer, local_address(local));
    }
    bool peer_send(const std::string& s) const {
        const WinAddress to = local_address(local);
        return send_to(peer, &to, s.data(), s.size());
    }
    std::string peer_recv(WinAddress* from = nullptr) const {
        char buf[2048];
        const long n = recv_from(peer, buf, sizeof buf, from);
        return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
    }
};

class RioDatagram : public ::testing::TestWithParam<Backend> {
protected:
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    RIO_CQ cq = RIO_INVALID_CQ;
    RIO_RQ rq = RIO_INVALID_RQ;

    void SetUp() override {
        if (!backend_available(GetParam()))
            GTEST_SKIP() << backend_name(GetParam()) << " not available here";
        CqOptions o;
        o.backend = GetParam();
        auto made = CompletionQueue::create(128, nullptr, o);
        ASSERT_TRUE(made.ok()) << made.error();
        cq = testing::adopt_completion_queue(std::move(made).value());
        ASSERT_NE(cq, RIO_INVALID_CQ);
    }
    void TearDown() override {
        if (rq != RIO_INVALID_RQ)
            close_request_queue(rq);
        if (cq != RIO_INVALID_CQ) {
            drain();
            t.RIOCloseCompletionQueue(cq);
        }
    }
    RIO_RQ make_rq(Sock s, ULONG recv = 8, ULONG send = 40) {
        rq = t.RIOCreateRequestQueue(static_cast<SOCKET>(s), recv, 1, send, 1, cq, cq, ctx(0xD6));
        EXPECT_NE(rq, RIO_INVALID_RQ) << last_error();
        return rq;
    }
    // The completions of the table's CQ, through rio_test_support.h's wait (the table's
    // RIODequeueCompletion is a face over that queue's dequeue: rio_table_test.cpp tests it).
    std::vector<RIORESULT> results(std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
        CompletionQueue* q = testing::table_completion_queue(cq);
        if (q == nullptr) {
            ADD_FAILURE() << "the table's CQ is not a rio CompletionQueue";
            return {};
        }
        return wait_results(*q, n, timeout);
    }
    void drain() {
        RIORESULT r[64];
        ULONG n = 0;
        do
            n = t.RIODequeueCompletion(cq, r, 64);
        while (n != 0 && n != RIO_CORRUPT_CQ);
    }
    BOOL receive_ex(RIO_BUF data, RIO_BUF* from, void* context, DWORD flags = 0) {
        return t.RIOReceiveEx(rq, &data, 1, nullptr, from, nullptr, nullptr, flags, context);
    }
    BOOL send_ex(RIO_BUF data, RIO_BUF* to, void* context, DWORD flags = 0) {
        return t.RIOSendEx(rq, &data, 1, nullptr, to, nullptr, nullptr, flags, context);
    }
};

TEST_P(RioDatagram, ReceiveExReportsTheSourceAddressOnIpv4AndIpv6) {
    for (const bool v6 : {false, true}) {
        SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
        UdpPair udp(v6);
        make_rq(udp.local);
        Region r(256);
        std::memset(r.bytes.data() + 128, 0x5A, kAddr); // the source overwrites all of it
        RIO_BUF from = r.slice(128, kAddr);
        ASSERT_TRUE(receive_ex(r.slice(0, 64), &from, ctx(1))) << last_error();
        ASSERT_TRUE(udp.peer_send("from the peer"));
        const auto res = results(1);
        ASSERT_EQ(res.size(), 1U);
        EXPECT_EQ(res[0].Status, 0);
        EXPECT_EQ(res[0].BytesTransferred, 13U);
        EXPECT_EQ(res[0].RequestContext, 1U);
        EXPECT_EQ(res[0].SocketContext, 0xD6U);
        EXPECT_EQ(r.text(0, 13), "from the peer");
        const WinAddress peer = local_address(udp.peer);
        EXPECT_EQ(family_of(peer), v6 ? 23 : 2); // Windows' AF_INET6 is 23
        EXPECT_EQ(address_bytes(r.bytes.data() + 128), address_bytes(peer.data()));
        if (!v6) { // an IPv4 source leaves nothing of what the slice held before
            EXPECT_EQ(r.text(128 + 16, 12), std::string(12, '\0'));
        }
        close_request_queue(rq);
        rq = RIO_INVALID_RQ;
        drain();
    }
}

TEST_P(RioDatagram, SendExToAnExplicitAddressOnAnUnconnectedSocket) {
    UdpPair udp;
    make_rq(udp.local);
    Region r(128);
    r.fill(0, "to you");
    const WinAddress to = local_address(udp.peer);
    std::memcpy(r.bytes.data() + 64, to.data(), to.size());
    RIO_BUF dest = r.slice(64, kAddr);
    ASSERT_TRUE(send_ex(r.slice(0, 6), &dest, ctx(7))) << last_error();
    WinAddress source{};
    EXPECT_EQ(udp.peer_recv(&source), "to you");
    EXPECT_EQ(address_bytes(source.data()), address_bytes(local_address(udp.local).data()));
    const auto res = results(1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].BytesTransferred, 6U);
    EXPECT_EQ(res[0].RequestContext, 7U);
}

TEST_P(RioDatagram, MessageBoundariesAreKept) {
    UdpPair udp;
    make_rq(udp.local);
    Region r(1024);
    for (ULONG i = 0; i < 3; ++i)
        ASSERT_TRUE(receive_ex(r.slice(i * 300, 300), nullptr, ctx(i)));
    const std::string sizes[] = {std::string(5, 'a'), std::string(200, 'b'), std::string(1, 'c')};
    for (const std::string& s : sizes)
        ASSERT_TRUE(udp.peer_send(s));
    const auto res = results(3);
    ASSERT_EQ(res.size(), 3U);
    for (ULONG i = 0; i < 3; ++i) {
        EXPECT_EQ(res[i].Status, 0);
        EXPECT_EQ(res[i].RequestContext, i);
        EXPECT_EQ(res[i].BytesTransferred, sizes[i].size());
        EXPECT_EQ(r.text(i * 300, static_cast<ULONG>(sizes[i].size())), sizes[i]);
    }
}

TEST_P(RioDatagram, TruncatedDatagramCompletesWithMsgSizeAndTheBufferLength) {
    UdpPair udp;
    make_rq(udp.local);
    Region r(256);
    RIO_BUF from = r.slice(200, kAddr);
    ASSERT_TRUE(receive_ex(r.slice(0, 10), &from, ctx(1)));
    ASSERT_TRUE(receive_ex(r.slice(100, 50), nullptr, ctx(2)));
    ASSERT_TRUE(udp.peer_send("0123456789abcdefghij-the rest is discarded"));
    ASSERT_TRUE(udp.peer_send("next"));
    const auto res = results(2);
    ASSERT_EQ(res.size(), 2U);
    EXPECT_EQ(res[0].Status, wsa::emsgsize);
    EXPECT_EQ(res[0].Status, 10040);
    EXPECT_EQ(res[0].BytesTransferred, 10U);
    EXPECT_EQ(r.text(0, 10), "0123456789");
    EXPECT_EQ(address_bytes(r.bytes.data() + 200), address_bytes(local_address(udp.peer).data()));
    EXPECT_EQ(res[1].Status, 0); // the next datagram is whole: nothing of the first is left
    EXPECT_EQ(res[1].BytesTransferred, 4U);
    EXPECT_EQ(r.text(100, 4), "next");
}

TEST_P(RioDatagram, PlainSendAndReceiveOnConnectedUdpSockets) {
    UdpPair udp;
    ASSERT_TRUE(udp.connect_both());
    make_rq(udp.local);
    Region r(128);
    r.fill(0, "connected");
    RIO_BUF out = r.slice(0, 9);
    RIO_BUF in = r.slice(64, 32);
    ASSERT_TRUE(t.RIOReceive(rq, &in, 1, 0, ctx(1)));
    ASSERT_TRUE(t.RIOSend(rq, &out, 1, 0, ctx(2)));
    EXPECT_EQ(udp.peer_recv(), "connected");
    ASSERT_TRUE(send_to(udp.peer, nullptr, "reply", 5));
    auto res = results(2);
    ASSERT_EQ(res.size(), 2U);
    std::sort(res.begin(), res.end(), [](const RIORESULT& a, const RIORESULT& b) {
        return a.RequestContext < b.RequestContext;
    });
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].BytesTransferred, 5U);
    EXPECT_EQ(r.text(64, 5), "reply");
    EXPECT_EQ(res[1].Status, 0);
    EXPECT_EQ(res[1].BytesTransferred, 9U);
}

TEST_P(RioDatagram, DeferredBatchOf32DatagramsIsCommittedWithOneSubmit) {
    UdpPair udp;
    make_rq(udp.local, 1, 32);
    Region r(32 * 8 + kAddr);
    const WinAddress to = local_address(udp.peer);
    std::memcpy(r.bytes.data() + 32 * 8, to.data(), to.size());
    RIO_BUF dest = r.slice(32 * 8, kAddr);
    const CompletionQueue* q = testing::table_completion_queue(cq);
    ASSERT_NE(q, nullptr);
    const std::uint64_t before = q->submit_calls();
    const std::uint64_t calls_before = testing::io_system_calls(*q);
    for (ULONG i = 0; i < 32; ++i) {
        r.fill(i * 8, "dgram" + std::to_string(100 + i));
        ASSERT_TRUE(send_ex(r.slice(i * 8, 8), &dest, ctx(i), i + 1 < 32 ? RIO_MSG_DEFER : 0));
    }
    EXPECT_EQ(q->submit_calls() - before, 1U); // one submission pass for all 32
    if (GetParam() == Backend::uring || GetParam() == Backend::epoll) {
        // Linux: the batch leaves in ONE system call (a sendmmsg), made by the commit itself,
        // so its 32 completions are queued when the commit returns, before any dequeue.
        EXPECT_EQ(testing::io_system_calls(*q) - calls_before, 1U);
        EXPECT_EQ(testing::queued_completions(*q), 32U);
    }
    for (ULONG i = 0; i < 32; ++i)
        EXPECT_EQ(udp.peer_recv(), "dgram" + std::to_string(100 + i));
    const auto res = results(32);
    ASSERT_EQ(res.size(), 32U);
    for (ULONG i = 0; i < 32; ++i) {
        EXPECT_EQ(res[i].Status, 0);
        EXPECT_EQ(res[i].RequestContext, i); // in submission order
        EXPECT_EQ(res[i].BytesTransferred, 8U);
    }
}

// A batch is sent whole in one system call: with UDP segmentation offload when its datagrams
// have one size (the last may be shorter) and one destination, else with sendmmsg. Either way
// every datagram arrives as itself, in order, and completes with its own length.
TEST_P(RioDatagram, DeferredBatchesOfMixedSizesAndDestinationsKeepEveryDatagram) {
    UdpPair udp;
    UdpPair other;
    make_rq(udp.local, 1, 16);
    Region r(1024);
    const WinAddress to = local_address(udp.peer);
    const WinAddress to_other = local_address(other.peer);
    std::memcpy(r.bytes.data() + 900, to.data(), to.size());
    std::memcpy(r.bytes.data() + 950, to_other.data(), to_other.size());
    RIO_BUF dest = r.slice(900, kAddr);
    RIO_BUF dest_other = r.slice(950, kAddr);
    struct Datagram {
        std::string text;
        RIO_BUF* to;
    };
    const std::vector<std::vector<Datagram>> batches = {
        {{"aaaa", &dest}, {"bbbb", &dest}, {"cc", &dest}},         // one size, last shorter
        {{"dd", &dest}, {"eeeeeeee", &dest}, {"ff", &dest}},       // a longer one in the middle
        {{"gggg", &dest}, {"hhhh", &dest_other}, {"iiii", &dest}}, // two destinations
    };
    ULONG at = 0;
    ULONG context = 0;
    std::vector<ULONG> lengths;
    for (const auto& batch : batches) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            r.fill(at, batch[i].text);
            const auto len = static_cast<ULONG>(batch[i].text.size());
            lengths.push_back(len);
            ASSERT_TRUE(send_ex(r.slice(at, len), batch[i].to, ctx(context++),
                                i + 1 < batch.size() ? RIO_MSG_DEFER : 0))
                << last_error();
            at += 16;
        }
    }
    for (const char* want : {"aaaa", "bbbb", "cc", "dd", "eeeeeeee", "ff", "gggg", "iiii"})
        EXPECT_EQ(udp.peer_recv(), want);
    EXPECT_EQ(other.peer_recv(), "hhhh");
    const auto res = results(lengths.size());
    ASSERT_EQ(res.size(), lengths.size());
    for (std::size_t i = 0; i < res.size(); ++i) {
        EXPECT_EQ(res[i].Status, 0);
        EXPECT_EQ(res[i].RequestContext, i);
        EXPECT_EQ(res[i].BytesTransferred, lengths[i]);
    }
}

TEST_P(RioDatagram, CancelAllAbortsAPendingDatagramReceive) {
    UdpPair udp;
    CqOptions o;
    o.backend = GetParam();
    auto made = CompletionQueue::create(8, nullptr, o);
    ASSERT_TRUE(made.ok());
    CompletionQueue q = std::move(made).value();
    auto created = RequestQueue::create(udp.local, 2, 1, 2, 1, q, q, ctx(3));
    ASSERT_TRUE(created.ok()) << created.error();
    RequestQueue datagrams = std::move(created).value();
    Region r(64);
    RIO_BUF in = r.slice(0, 16);
    RIO_BUF from = r.slice(32, kAddr);
    ASSERT_EQ(datagrams.receive_ex({&in, 1}, &from, 0, ctx(9)), 0);
    EXPECT_TRUE(wait_results(q, 1, 100ms).empty()); // nothing arrives: it stays pending
    datagrams.cancel_all();
    const auto res = wait_results(q, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, wsa::operation_aborted);
    EXPECT_EQ(res[0].RequestContext, 9U);
}

TEST_P(RioDatagram, BadAddressSliceOrFlagIsInvalidAtPostTime) {
    UdpPair udp;
    make_rq(udp.local);
    Region r(128);
    RIO_BUF data = r.slice(0, 8);
    set_last_error(0);
    RIO_BUF short_from = r.slice(64, 16); // a receive needs room for either family
    EXPECT_FALSE(receive_ex(data, &short_from, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    const std::uint16_t v4 = 2;
    const std::uint16_t v6 = 23;
    const std::uint16_t unix_family = 1;
    std::memcpy(r.bytes.data() + 64, &v4, 2);
    RIO_BUF short_v4 = r.slice(64, 8);
    EXPECT_FALSE(send_ex(data, &short_v4, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    std::memcpy(r.bytes.data() + 64, &v6, 2);
    RIO_BUF short_v6 = r.slice(64, 16);
    EXPECT_FALSE(send_ex(data, &short_v6, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    std::memcpy(r.bytes.data() + 64, &unix_family, 2);
    RIO_BUF other = r.slice(64, kAddr);
    EXPECT_FALSE(send_ex(data, &other, nullptr));
    EXPECT_EQ(last_error(), WSAEAFNOSUPPORT);
    RIO_BUF past_end = r.slice(120, kAddr);
    EXPECT_FALSE(receive_ex(data, &past_end, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    // A datagram arrives whole or not at all: no RIO_MSG_WAITALL.
    EXPECT_FALSE(receive_ex(data, nullptr, nullptr, RIO_MSG_WAITALL));
    EXPECT_EQ(last_error(), wsa::einval);
    // pLocalAddress and pControlContext must be NULL; pFlags gets 0.
    RIO_BUF from = r.slice(64, kAddr);
    EXPECT_FALSE(t.RIOReceiveEx(rq, &data, 1, &from, nullptr, nullptr, nullptr, 0, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    EXPECT_FALSE(t.RIOSendEx(rq, &data, 1, nullptr, nullptr, &from, nullptr, 0, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    std::memset(r.bytes.data() + 100, 0x7F, 4);
    RIO_BUF msg_flags = r.slice(100, 4);
    ASSERT_TRUE(t.RIOReceiveEx(rq, &data, 1, nullptr, &from, nullptr, &msg_flags, 0, ctx(1)));
    EXPECT_EQ(r.text(100, 4), std::string(4, '\0'));
    RIO_BUF tiny_flags = r.slice(100, 2);
    EXPECT_FALSE(t.RIOReceiveEx(rq, &data, 1, nullptr, &from, nullptr, &tiny_flags, 0, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    // Nothing was queued by the refused requests: the one accepted receive still works.
    ASSERT_TRUE(udp.peer_send("ok"));
    const auto res = results(1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].Status, 0);
    EXPECT_EQ(res[0].RequestContext, 1U);
}

// Steady state: datagrams sent and received with addresses allocate nothing in the posting and
// dequeuing thread.
TEST_P(RioDatagram, SteadyStateDatagramSendAndReceiveAllocateNothing) {
    UdpPair udp;
    make_rq(udp.local);
    Region r(256);
    r.fill(0, "ping");
    const WinAddress to = local_address(udp.peer);
    std::memcpy(r.bytes.data() + 64, to.data(), to.size());
    RIO_BUF dest = r.slice(64, kAddr);
    RIO_BUF from = r.slice(128, kAddr);
    auto round_trip = [&] {
        if (!receive_ex(r.slice(200, 16), &from, ctx(1)) || !send_ex(r.slice(0, 4), &dest, ctx(2)))
            return false;
        char buf[16];
        WinAddress source{};
        if (recv_from(udp.peer, buf, sizeof buf, &source) != 4 ||
            !send_to(udp.peer, &source, "pong", 4))
            return false;
        RIORESULT res[4];
        ULONG done = 0;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (done < 2 && std::chrono::steady_clock::now() < deadline)
            done += t.RIODequeueCompletion(cq, res + done, 4 - done);
        return done == 2 && res[0].Status == 0 && res[1].Status == 0;
    };
    ASSERT_TRUE(round_trip()); // warm-up: first-use statics
    const alloc::ThreadScope scope;
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(round_trip());
    EXPECT_EQ(scope.counted().allocations, 0U);
    EXPECT_EQ(r.text(200, 4), "pong");
}

INSTANTIATE_TEST_SUITE_P(Backends, RioDatagram, platform_backends(), backend_param_name);

} // namespace
} // namespace riosp::rio::test
