// The C face: RIO_EXTENSION_FUNCTION_TABLE over the process's active backend.
#include "rio_test_support.h"

#include <rio/rio_table.h>
#include <rio/wsa_error.h>
#include <riosp/event_handle.h>

namespace riosp::rio::test {
namespace {

TEST(RioTable, HasAllThirteenFunctionsAndItsSize) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    EXPECT_EQ(t.cbSize, sizeof(RIO_EXTENSION_FUNCTION_TABLE));
    EXPECT_NE(t.RIOReceive, nullptr);
    EXPECT_NE(t.RIOReceiveEx, nullptr);
    EXPECT_NE(t.RIOSend, nullptr);
    EXPECT_NE(t.RIOSendEx, nullptr);
    EXPECT_NE(t.RIOCloseCompletionQueue, nullptr);
    EXPECT_NE(t.RIOCreateCompletionQueue, nullptr);
    EXPECT_NE(t.RIOCreateRequestQueue, nullptr);
    EXPECT_NE(t.RIODequeueCompletion, nullptr);
    EXPECT_NE(t.RIODeregisterBuffer, nullptr);
    EXPECT_NE(t.RIONotify, nullptr);
    EXPECT_NE(t.RIORegisterBuffer, nullptr);
    EXPECT_NE(t.RIOResizeCompletionQueue, nullptr);
    EXPECT_NE(t.RIOResizeRequestQueue, nullptr);
}

TEST(RioTable, SendAndReceiveRoundTripThroughTheTable) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    TcpPair pair;
    char mem[64] = "table";
    RIO_BUFFERID id = t.RIORegisterBuffer(mem, sizeof mem);
    ASSERT_NE(id, RIO_INVALID_BUFFERID);
    RIO_CQ cq = t.RIOCreateCompletionQueue(8, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    RIO_RQ rq =
        t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 2, 1, 2, 1, cq, cq, ctx(0x42));
    ASSERT_NE(rq, RIO_INVALID_RQ);
    RIO_BUF out{id, 0, 5};
    RIO_BUF in{id, 32, 16};
    ASSERT_TRUE(t.RIOReceiveEx(rq, &in, 1, nullptr, nullptr, nullptr, nullptr, 0, ctx(1)));
    ASSERT_TRUE(t.RIOSendEx(rq, &out, 1, nullptr, nullptr, nullptr, nullptr, 0, ctx(2)));
    EXPECT_EQ(pair.peer_recv(5), "table");
    ASSERT_TRUE(pair.peer_send("back"));
    RIORESULT res[4];
    ULONG got = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got < 2 && std::chrono::steady_clock::now() < deadline) {
        const ULONG n = t.RIODequeueCompletion(cq, res + got, 4 - got);
        ASSERT_NE(n, RIO_CORRUPT_CQ);
        got += n;
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(got, 2U);
    EXPECT_EQ(std::string(mem + 32, 4), "back");
    EXPECT_TRUE(t.RIOResizeRequestQueue(rq, 3, 3));
    EXPECT_TRUE(t.RIOResizeCompletionQueue(cq, 16));
    close_request_queue(rq);
    t.RIOCloseCompletionQueue(cq);
    t.RIODeregisterBuffer(id);
}

TEST(RioTable, ErrorsGoToTheThreadLocalLastError) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    TcpPair pair;
    char mem[16] = {};
    RIO_BUFFERID id = t.RIORegisterBuffer(mem, sizeof mem);
    RIO_CQ cq = t.RIOCreateCompletionQueue(4, nullptr);
    RIO_RQ rq =
        t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.local), 1, 1, 1, 1, cq, cq, nullptr);
    ASSERT_NE(rq, RIO_INVALID_RQ);
    RIO_BUF b{id, 0, 4};
    RIO_BUF addr{id, 4, 4};
    set_last_error(0);
    EXPECT_FALSE(t.RIOSendEx(rq, &b, 1, nullptr, &addr, nullptr, nullptr, 0, nullptr));
    EXPECT_EQ(last_error(), wsa::einval); // TCP takes no address buffers
    EXPECT_FALSE(t.RIOReceiveEx(rq, &b, 1, nullptr, nullptr, &addr, nullptr, 0, nullptr));
    EXPECT_EQ(last_error(), wsa::einval);
    EXPECT_EQ(t.RIOCreateRequestQueue(static_cast<SOCKET>(pair.peer), 4, 1, 4, 1, cq, cq, nullptr),
              RIO_INVALID_RQ);
    EXPECT_EQ(last_error(), wsa::enobufs);
    EXPECT_EQ(t.RIORegisterBuffer(mem, 0), RIO_INVALID_BUFFERID);
    EXPECT_EQ(last_error(), wsa::einval);
    EXPECT_FALSE(t.RIOResizeCompletionQueue(cq, 1));
    EXPECT_EQ(last_error(), wsa::etoomanyrefs);
    t.RIOCloseCompletionQueue(cq); // refused: an RQ still uses it
    EXPECT_EQ(last_error(), wsa::etoomanyrefs);
    std::thread([] { EXPECT_EQ(last_error(), 0); }).join(); // per thread
    close_request_queue(rq);
    t.RIOCloseCompletionQueue(cq);
    t.RIODeregisterBuffer(id);
}

TEST(RioTable, DequeueOnAClosedOrMadeUpQueueReturnsCorruptCq) {
    const RIO_EXTENSION_FUNCTION_TABLE& t = function_table();
    RIO_CQ cq = t.RIOCreateCompletionQueue(4, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    t.RIOCloseCompletionQueue(cq);
    RIORESULT res[2];
    EXPECT_EQ(t.RIODequeueCompletion(cq, res, 2), RIO_CORRUPT_CQ);
    EXPECT_EQ(t.RIODequeueCompletion(reinterpret_cast<RIO_CQ>(std::uintptr_t{0x12345}), res, 2),
              RIO_CORRUPT_CQ);
    EXPECT_EQ(t.RIODequeueCompletion(RIO_INVALID_CQ, res, 2), RIO_CORRUPT_CQ);
    EXPECT_EQ(t.RIONotify(cq), wsa::einval);
}

TEST(RioBackend, ActiveBackendIsProbedOnceAndNamed) {
    const Backend b = active_backend();
    EXPECT_EQ(active_backend(), b);
    EXPECT_TRUE(backend_available(b));
    EXPECT_STREQ(backend_name(Backend::uring), "io_uring");
    EXPECT_STREQ(backend_name(Backend::epoll), "epoll");
    EXPECT_STREQ(backend_name(Backend::native), "native");
    EXPECT_STREQ(backend_name(Backend::overlapped), "overlapped");
}

// Each platform has a backend that always runs (the readiness / overlapped fallback), and
// never offers the other platform's.
TEST(RioBackend, TheFallbackBackendAlwaysRunsAndTheOtherPlatformsNever) {
#ifdef _WIN32
    EXPECT_TRUE(backend_available(Backend::overlapped));
    EXPECT_FALSE(backend_available(Backend::uring));
    EXPECT_FALSE(backend_available(Backend::epoll));
#else
    EXPECT_TRUE(backend_available(Backend::epoll));
    EXPECT_FALSE(backend_available(Backend::native));
    EXPECT_FALSE(backend_available(Backend::overlapped));
#endif
    CqOptions o;
#ifdef _WIN32
    o.backend = Backend::epoll;
#else
    o.backend = Backend::overlapped;
#endif
    EXPECT_EQ(CompletionQueue::create(4, nullptr, o).error(), wsa::eopnotsupp);
}

TEST(RioEventHandle, EncodesDescriptorZeroAsNonNullHandle) {
    EXPECT_NE(event_handle_from_fd(0), nullptr);
    EXPECT_EQ(fd_from_event_handle(event_handle_from_fd(0)), 0);
    EXPECT_EQ(fd_from_event_handle(event_handle_from_fd(1234)), 1234);
    EXPECT_EQ(fd_from_event_handle(nullptr), -1);
    EXPECT_EQ(event_handle_from_fd(-1), nullptr);
}

} // namespace
} // namespace riosp::rio::test
