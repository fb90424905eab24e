// io_uring registered (fixed) buffers: registered regions reach the kernel through the ring's
// buffer table, a freed region leaves every table, and what the kernel will not take falls
// back to plain memory. io_uring only: the epoll backend has no such table.
#include "rio_test_support.h"

#include <rio/rio_testing.h>

#include <sys/mman.h>

#include <cstdint>

namespace riosp::rio::test {
namespace {

std::uint32_t registry_index(RIO_BUFFERID id) {
    return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(id) & 0xFFFFFFFFU) - 1;
}

class RioFixedBuffers : public ::testing::Test {
protected:
    void SetUp() override {
        if (!backend_available(Backend::uring))
            GTEST_SKIP() << "io_uring not available here";
    }
    static CompletionQueue make_cq(bool fixed_buffers = true) {
        CqOptions o;
        o.backend = Backend::uring;
        o.fixed_buffers = fixed_buffers;
        auto cq = CompletionQueue::create(16, nullptr, o);
        EXPECT_TRUE(cq.ok()) << cq.error();
        return std::move(cq).value();
    }
    static RequestQueue make_rq(int fd, CompletionQueue& cq) {
        auto rq = RequestQueue::create(fd, 4, 1, 4, 1, cq, cq, nullptr);
        EXPECT_TRUE(rq.ok()) << rq.error();
        return std::move(rq).value();
    }
    // Posts one receive into b, lets the peer send `text`, and returns the bytes received.
    static ULONG receive(RequestQueue& rq, CompletionQueue& cq, TcpPair& pair, RIO_BUF b,
                         const std::string& text, DWORD flags = 0) {
        EXPECT_EQ(rq.receive({&b, 1}, flags, ctx(1)), 0);
        EXPECT_TRUE(pair.peer_send(text));
        auto res = wait_results(cq, 1);
        EXPECT_EQ(res.size(), 1U);
        if (res.size() != 1)
            return 0;
        EXPECT_EQ(res[0].Status, 0);
        return res[0].BytesTransferred;
    }
};

TEST_F(RioFixedBuffers, ReceivesIntoRegisteredRegionsReachTheKernelAsFixedBuffers) {
    TcpPair pair;
    CompletionQueue cq = make_cq();
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(256);
    EXPECT_EQ(receive(rq, cq, pair, r.slice(16, 64), "fixed"), 5U);
    EXPECT_EQ(r.text(16, 5), "fixed");
    EXPECT_EQ(cq.fixed_buffer_requests(), 1U);
    EXPECT_EQ(testing::registered_fixed_buffers(cq), 1U);
    // The region is entered once per ring, not once per request.
    EXPECT_EQ(receive(rq, cq, pair, r.slice(100, 64), "again"), 5U);
    EXPECT_EQ(r.text(100, 5), "again");
    EXPECT_EQ(cq.fixed_buffer_requests(), 2U);
    EXPECT_EQ(testing::registered_fixed_buffers(cq), 1U);
}

TEST_F(RioFixedBuffers, WaitAllReceivesAndSendsUseFixedBuffersOnlyWhereTheKernelTakesThem) {
    TcpPair pair;
    CompletionQueue cq = make_cq();
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    // MSG_WAITALL needs IORING_OP_RECV, which takes no registered buffer.
    EXPECT_EQ(receive(rq, cq, pair, r.slice(0, 4), "wait", RIO_MSG_WAITALL), 4U);
    EXPECT_EQ(r.text(0, 4), "wait");
    EXPECT_EQ(cq.fixed_buffer_requests(), 0U);
    r.fill(8, "send");
    RIO_BUF b = r.slice(8, 4);
    ASSERT_EQ(rq.send({&b, 1}, 0, ctx(2)), 0);
    EXPECT_EQ(pair.peer_recv(4), "send");
    ASSERT_EQ(wait_results(cq, 1).size(), 1U);
    EXPECT_EQ(cq.fixed_buffer_requests(), testing::uring_send_takes_fixed_buffers() ? 1U : 0U);
}

TEST_F(RioFixedBuffers, FreedRegionLeavesTheBufferTableOfEveryRing) {
    TcpPair first;
    TcpPair second;
    CompletionQueue cq1 = make_cq();
    CompletionQueue cq2 = make_cq();
    {
        RequestQueue rq1 = make_rq(first.local, cq1);
        RequestQueue rq2 = make_rq(second.local, cq2);
        Region r(64);
        EXPECT_EQ(receive(rq1, cq1, first, r.slice(0, 32), "one"), 3U);
        EXPECT_EQ(receive(rq2, cq2, second, r.slice(32, 32), "two"), 3U);
        EXPECT_EQ(testing::registered_fixed_buffers(cq1), 1U);
        EXPECT_EQ(testing::registered_fixed_buffers(cq2), 1U);
    } // the region is deregistered here, nothing names it any more
    EXPECT_EQ(testing::registered_fixed_buffers(cq1), 0U);
    EXPECT_EQ(testing::registered_fixed_buffers(cq2), 0U);
}

TEST_F(RioFixedBuffers, RegionDeregisteredWithAReceiveInFlightLeavesTheTableAtDequeue) {
    TcpPair pair;
    CompletionQueue cq = make_cq();
    RequestQueue rq = make_rq(pair.local, cq);
    std::vector<char> memory(64);
    auto reg = register_buffer(memory);
    ASSERT_TRUE(reg.ok());
    RIO_BUF b{reg.value(), 0, 64};
    ASSERT_EQ(rq.receive({&b, 1}, 0, ctx(1)), 0);
    ASSERT_EQ(deregister_buffer(reg.value()), 0);
    EXPECT_EQ(testing::registered_fixed_buffers(cq), 1U); // the kernel still writes into it
    ASSERT_TRUE(pair.peer_send("late"));
    auto res = wait_results(cq, 1);
    ASSERT_EQ(res.size(), 1U);
    EXPECT_EQ(res[0].BytesTransferred, 4U);
    EXPECT_EQ(std::string(memory.data(), 4), "late");
    EXPECT_EQ(testing::registered_fixed_buffers(cq), 0U);
}

TEST_F(RioFixedBuffers, NewRegionUnderARecycledIndexIsEnteredAfreshNotReadThroughTheOldOne) {
    TcpPair pair;
    CompletionQueue cq = make_cq();
    RequestQueue rq = make_rq(pair.local, cq);
    std::vector<char> old_memory(64, '.');
    std::vector<char> new_memory(64, '.');
    auto old_reg = register_buffer(old_memory);
    ASSERT_TRUE(old_reg.ok());
    EXPECT_EQ(receive(rq, cq, pair, RIO_BUF{old_reg.value(), 0, 64}, "old"), 3U);
    ASSERT_EQ(deregister_buffer(old_reg.value()), 0);
    auto new_reg = register_buffer(new_memory);
    ASSERT_TRUE(new_reg.ok());
    // The registry hands the freed index out again (newest first); a stale table entry would
    // send this receive into old_memory or fail it.
    ASSERT_EQ(registry_index(new_reg.value()), registry_index(old_reg.value()));
    EXPECT_EQ(receive(rq, cq, pair, RIO_BUF{new_reg.value(), 8, 32}, "new"), 3U);
    EXPECT_EQ(std::string(new_memory.data() + 8, 3), "new");
    EXPECT_EQ(std::string(old_memory.data() + 8, 3), "...");
    EXPECT_EQ(cq.fixed_buffer_requests(), 2U);
    ASSERT_EQ(deregister_buffer(new_reg.value()), 0);
}

TEST_F(RioFixedBuffers, RegionTheKernelRefusesFallsBackToPlainMemory) {
    // The kernel takes no registered buffer over 1 GiB; reserve one (never touched beyond its
    // first page) so that refusal happens on any machine.
    const std::size_t size = (std::size_t{1} << 30) + 65536;
    void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(map, MAP_FAILED);
    {
        TcpPair pair;
        CompletionQueue cq = make_cq();
        RequestQueue rq = make_rq(pair.local, cq);
        auto reg = RegisteredBuffer::create({static_cast<char*>(map), size});
        ASSERT_TRUE(reg.ok());
        EXPECT_EQ(receive(rq, cq, pair, reg.value().slice(0, 64), "huge"), 4U);
        EXPECT_EQ(std::string(static_cast<char*>(map), 4), "huge");
        EXPECT_EQ(cq.fixed_buffer_requests(), 0U);
        EXPECT_EQ(testing::registered_fixed_buffers(cq), 0U);
        // Refused once, not asked again for every request.
        EXPECT_EQ(receive(rq, cq, pair, reg.value().slice(64, 64), "more"), 4U);
        EXPECT_EQ(cq.fixed_buffer_requests(), 0U);
    }
    ::munmap(map, size);
}

TEST_F(RioFixedBuffers, CompletionQueueWithFixedBuffersOffNamesPlainMemory) {
    TcpPair pair;
    CompletionQueue cq = make_cq(false);
    RequestQueue rq = make_rq(pair.local, cq);
    Region r(64);
    EXPECT_EQ(receive(rq, cq, pair, r.slice(0, 64), "plain"), 5U);
    EXPECT_EQ(r.text(0, 5), "plain");
    EXPECT_EQ(cq.fixed_buffer_requests(), 0U);
    EXPECT_EQ(testing::registered_fixed_buffers(cq), 0U);
}

} // namespace
} // namespace riosp::rio::test
