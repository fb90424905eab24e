// Deep pipelines of overlapped operations on one socket, as IOCP servers keep them: thousands of
// sends or receives in flight per socket are taken, complete in order with every byte, and only
// the documented per-socket limit (provider/op_queue.h, README "SPI coverage") answers
// WSAENOBUFS.
#include "provider_fixture.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

constexpr int deep = 2000;

// The byte at `offset` of send number `op`: every send different, so order shows.
char pattern(int op, std::size_t offset) {
    return static_cast<char>((op * 7 + static_cast<int>(offset)) & 0xff);
}

TEST_F(ProviderTest, TwoThousandOverlappedSendsOnOneSocketAllCompleteInOrder) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    constexpr std::size_t size = 4096; // 8 MB in all: far more than the kernel and ring hold
    std::vector<std::string> data(deep);
    auto ovs = std::make_unique<WSAOVERLAPPED[]>(deep);
    std::vector<WSABUF> bufs(deep);
    int pending = 0;
    for (int i = 0; i < deep; ++i) {
        data[i].resize(size);
        for (std::size_t k = 0; k < size; ++k)
            data[i][k] = pattern(i, k);
        bufs[i] = WSABUF{static_cast<ULONG>(size), data[i].data()};
        ovs[i] = WSAOVERLAPPED{};
        const int rc = ws::WSASend(s, &bufs[i], 1, nullptr, 0, &ovs[i], nullptr);
        if (rc == SOCKET_ERROR) {
            ASSERT_EQ(ws::WSAGetLastError(), WSA_IO_PENDING) << "send " << i;
            ++pending;
        }
    }
    // The peer reads nothing yet: once the kernel's buffers are full (a few MB on loopback) the
    // rest wait, far more than the 32 per direction a socket once took.
    EXPECT_GT(pending, 500);
    std::string got;
    std::thread reader([&] { (void)bsd::read_exact(peer, got, size * deep, 20000); });
    for (int i = 0; i < deep; ++i) {
        DWORD bytes = 0;
        DWORD flags = 0;
        ASSERT_TRUE(ws::WSAGetOverlappedResult(s, &ovs[i], &bytes, TRUE, &flags))
            << "send " << i << ": " << ws::WSAGetLastError();
        EXPECT_EQ(bytes, size);
    }
    reader.join();
    ASSERT_EQ(got.size(), size * deep);
    for (int i = 0; i < deep; ++i)
        ASSERT_EQ(got.compare(static_cast<std::size_t>(i) * size, size, data[i]), 0)
            << "send " << i << " arrived out of order or damaged";
    ws::closesocket(s);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, TwoThousandOverlappedReceivesOnOneSocketCompleteInOrder) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    constexpr std::size_t size = 4;
    std::vector<std::string> into(deep, std::string(size, '\0'));
    auto ovs = std::make_unique<WSAOVERLAPPED[]>(deep);
    std::vector<WSABUF> bufs(deep);
    for (int i = 0; i < deep; ++i) {
        bufs[i] = WSABUF{static_cast<ULONG>(size), into[i].data()};
        ovs[i] = WSAOVERLAPPED{};
        DWORD flags = 0;
        ASSERT_EQ(ws::WSARecv(s, &bufs[i], 1, nullptr, &flags, &ovs[i], nullptr), SOCKET_ERROR);
        ASSERT_EQ(ws::WSAGetLastError(), WSA_IO_PENDING) << "receive " << i;
    }
    std::string all;
    for (int i = 0; i < deep; ++i)
        for (std::size_t k = 0; k < size; ++k)
            all.push_back(pattern(i, k));
    ASSERT_EQ(bsd::send_all(peer, all), 0);
    for (int i = 0; i < deep; ++i) {
        DWORD bytes = 0;
        DWORD flags = 0;
        ASSERT_TRUE(ws::WSAGetOverlappedResult(s, &ovs[i], &bytes, TRUE, &flags))
            << "receive " << i << ": " << ws::WSAGetLastError();
        ASSERT_EQ(bytes, size) << "receive " << i;
        EXPECT_EQ(into[i], all.substr(static_cast<std::size_t>(i) * size, size))
            << "receive " << i << " got bytes out of order";
    }
    ws::closesocket(s);
    bsd::close_socket(peer);
}

TEST_F(ProviderTest, OverlappedOperationsBeyondThePerSocketLimitFailWithWsaenobufs) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    constexpr int limit = 4096; // README, "SPI coverage": pending operations per direction
    char byte = 0;
    std::vector<WSABUF> bufs(limit + 1, WSABUF{1, &byte});
    auto ovs = std::make_unique<WSAOVERLAPPED[]>(limit + 1);
    for (int i = 0; i < limit; ++i) {
        ovs[i] = WSAOVERLAPPED{};
        DWORD flags = 0;
        ASSERT_EQ(ws::WSARecv(s, &bufs[i], 1, nullptr, &flags, &ovs[i], nullptr), SOCKET_ERROR);
        ASSERT_EQ(ws::WSAGetLastError(), WSA_IO_PENDING) << "receive " << i;
    }
    ovs[limit] = WSAOVERLAPPED{};
    DWORD flags = 0;
    EXPECT_EQ(ws::WSARecv(s, &bufs[limit], 1, nullptr, &flags, &ovs[limit], nullptr), SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAENOBUFS);
    ASSERT_EQ(ws::closesocket(s), 0); // the pending ones complete aborted
    for (int i = 0; i < limit; ++i) {
        DWORD bytes = 0;
        EXPECT_FALSE(ws::WSAGetOverlappedResult(s, &ovs[i], &bytes, TRUE, &flags));
        EXPECT_EQ(ws::WSAGetLastError(), WSA_OPERATION_ABORTED);
    }
    bsd::close_socket(peer);
}

} // namespace
} // namespace riosp::test
