// The socket handle table: generation-checked handles that stay dead once closed, and
// lock-free lookups that stay correct under concurrent create/close.
#include "host_test_support.h"

#include "host/handles.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace {

using riosp::host::HandleTable;
class HostSocketHandles : public riosp::host::testing::Started {};

// ---- the table on its own -----------------------------------------------------------------

TEST(HostHandleTable, CreatedHandleMapsToItsContextUntilClosed) {
    HandleTable table(8);
    int error = 0;
    const SOCKET s = table.create(0xfeed, error);
    ASSERT_NE(s, INVALID_SOCKET);
    DWORD_PTR context = 0;
    ASSERT_TRUE(table.query(s, context));
    EXPECT_EQ(context, 0xfeedu);
    EXPECT_TRUE(table.close(s));
    EXPECT_FALSE(table.query(s, context));
}

TEST(HostHandleTable, ClosedHandleStaysDeadAfterItsSlotIsReused) {
    HandleTable table(1); // one slot: every create reuses it
    int error = 0;
    const SOCKET first = table.create(1, error);
    ASSERT_TRUE(table.close(first));
    const SOCKET second = table.create(2, error);
    ASSERT_NE(second, INVALID_SOCKET);
    EXPECT_NE(second, first);
    DWORD_PTR context = 0;
    EXPECT_FALSE(table.query(first, context));
    EXPECT_FALSE(table.close(first)) << "a stale close must not kill the new socket";
    ASSERT_TRUE(table.query(second, context));
    EXPECT_EQ(context, 2u);
}

TEST(HostHandleTable, SecondCloseOfAHandleFails) {
    HandleTable table(4);
    int error = 0;
    const SOCKET s = table.create(1, error);
    EXPECT_TRUE(table.close(s));
    EXPECT_FALSE(table.close(s));
}

TEST(HostHandleTable, HandlesAreNonZeroMultiplesOfFourAndNeverInvalidSocket) {
    HandleTable table(64);
    int error = 0;
    std::set<SOCKET> seen;
    for (int round = 0; round < 4; ++round) {
        std::vector<SOCKET> live;
        for (int i = 0; i < 64; ++i) {
            const SOCKET s = table.create(static_cast<DWORD_PTR>(i), error);
            ASSERT_NE(s, INVALID_SOCKET);
            EXPECT_NE(s, 0u);
            EXPECT_EQ(s % 4, 0u);
            EXPECT_TRUE(seen.insert(s).second) << "handle values are never reissued";
            live.push_back(s);
        }
        for (const SOCKET s : live)
            ASSERT_TRUE(table.close(s));
    }
}

TEST(HostHandleTable, FullTableFailsWithNoBufs) {
    HandleTable table(2);
    int error = 0;
    ASSERT_NE(table.create(1, error), INVALID_SOCKET);
    ASSERT_NE(table.create(2, error), INVALID_SOCKET);
    EXPECT_EQ(table.create(3, error), INVALID_SOCKET);
    EXPECT_EQ(error, WSAENOBUFS);
}

TEST(HostHandleTable, SlotIsRetiredInsteadOfWrappingItsGeneration) {
    HandleTable table(1, 3); // generations 1..3, then the slot is spent
    int error = 0;
    std::vector<SOCKET> issued;
    for (int i = 0; i < 3; ++i) {
        const SOCKET s = table.create(static_cast<DWORD_PTR>(i), error);
        ASSERT_NE(s, INVALID_SOCKET);
        issued.push_back(s);
        ASSERT_TRUE(table.close(s));
    }
    EXPECT_EQ(table.create(9, error), INVALID_SOCKET);
    EXPECT_EQ(error, WSAENOBUFS);
    DWORD_PTR context = 0;
    for (const SOCKET s : issued)
        EXPECT_FALSE(table.query(s, context));
}

TEST(HostHandleTable, GarbageHandlesAreRejected) {
    HandleTable table(4);
    int error = 0;
    const SOCKET s = table.create(7, error);
    DWORD_PTR context = 0;
    for (const SOCKET bad : {SOCKET{0}, INVALID_SOCKET, s + 1, s + 2, s | (SOCKET{1} << 62),
                             SOCKET{3} << 2 /* generation 0 */, (SOCKET{1} << 18) | (9u << 2)}) {
        EXPECT_FALSE(table.query(bad, context)) << bad;
        EXPECT_FALSE(table.close(bad)) << bad;
    }
    EXPECT_TRUE(table.query(s, context));
}

TEST(HostHandleTable, CloseAllKillsEveryLiveHandle) {
    HandleTable table(8);
    int error = 0;
    const SOCKET a = table.create(1, error);
    const SOCKET b = table.create(2, error);
    ASSERT_TRUE(table.close(a));
    EXPECT_EQ(table.close_all(), 1u);
    DWORD_PTR context = 0;
    EXPECT_FALSE(table.query(b, context));
    EXPECT_EQ(table.live_count(), 0u);
}

// Writers churn a small table (slots are reused constantly) while a reader looks up recently
// issued handles. Every context is a unique id, so a lookup may fail (closed) but must never
// return another socket's context. Run under TSan to prove the lock-free lookup race-free.
TEST(HostHandleTable, ConcurrentCreateCloseLookupKeepsEveryHandleBoundToItsOwnContext) {
    constexpr int slots = 32;
    constexpr int writers = 3;
    constexpr int iterations = 20000;
    HandleTable table(slots);
    // ids[k] = handle that carries context k (written before the reader can see it).
    constexpr std::size_t max_ids = writers * iterations + 1;
    std::vector<std::atomic<SOCKET>> handle_of(max_ids);
    std::atomic<std::uint64_t> next_id{1};
    std::atomic<bool> done{false};
    std::atomic<long> wrong{0};

    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&] {
            int error = 0;
            std::vector<std::pair<SOCKET, std::uint64_t>> mine;
            for (int i = 0; i < iterations; ++i) {
                const std::uint64_t id = next_id.fetch_add(1);
                const SOCKET s = table.create(static_cast<DWORD_PTR>(id), error);
                if (s != INVALID_SOCKET) {
                    handle_of[id].store(s);
                    mine.emplace_back(s, id);
                }
                if (mine.size() > 4 || (s == INVALID_SOCKET && !mine.empty())) {
                    if (!table.close(mine.front().first))
                        wrong.fetch_add(1);
                    mine.erase(mine.begin());
                }
            }
            for (const auto& [s, id] : mine)
                if (!table.close(s))
                    wrong.fetch_add(1);
        });
    }
    threads.emplace_back([&] {
        // Probe every handle value a slot could carry in the first generations.
        while (!done.load()) {
            const std::uint64_t top = next_id.load();
            for (std::uint64_t id = top > 512 ? top - 512 : 1; id < top; ++id) {
                const SOCKET s = handle_of[id].load();
                DWORD_PTR context = 0;
                if (s != 0 && table.query(s, context) && context != id)
                    wrong.fetch_add(1);
            }
        }
    });
    for (int w = 0; w < writers; ++w)
        threads[static_cast<std::size_t>(w)].join();
    done.store(true);
    threads.back().join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(table.live_count(), 0u);
}

// ---- through the Winsock API and the fake provider ------------------------------------------

TEST_F(HostSocketHandles, ClosedSocketIsNotASocketEvenAfterNewSocketsReuseItsSlot) {
    const SOCKET old = tcp4();
    ASSERT_NE(old, INVALID_SOCKET);
    ASSERT_EQ(closesocket(old), 0);
    std::vector<SOCKET> fresh;
    for (int i = 0; i < 8; ++i) {
        fresh.push_back(tcp4());
        ASSERT_NE(fresh.back(), INVALID_SOCKET);
        EXPECT_NE(fresh.back(), old);
    }
    int type = 0;
    int len = sizeof type;
    EXPECT_EQ(getsockopt(old, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    EXPECT_EQ(closesocket(old), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    for (const SOCKET s : fresh) {
        EXPECT_EQ(getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len), 0);
        EXPECT_EQ(closesocket(s), 0);
    }
}

TEST_F(HostSocketHandles, SecondCloseOfASocketFailsWithNotSock) {
    const SOCKET s = tcp4();
    ASSERT_EQ(closesocket(s), 0);
    EXPECT_EQ(closesocket(s), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
}

TEST_F(HostSocketHandles, SocketsLeftOpenAreDeadAfterTheLastCleanup) {
    const SOCKET s = tcp4();
    ASSERT_NE(s, INVALID_SOCKET);
    ASSERT_EQ(WSACleanup(), 0);
    DWORD_PTR context = 0;
    EXPECT_FALSE(riosp::host::socket_handles().query(s, context));
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(closesocket(s), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
}

// Threads create, use and close their own sockets while probing sockets other threads have
// already closed: every stale probe answers WSAENOTSOCK, every own call succeeds.
TEST_F(HostSocketHandles, ConcurrentSocketChurnKeepsClosedHandlesDead) {
    constexpr int threads_n = 4;
    constexpr int iterations = 2000;
    std::array<std::atomic<SOCKET>, 64> graveyard{};
    std::atomic<std::size_t> buried{0};
    std::atomic<long> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < iterations; ++i) {
                const SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
                if (s == INVALID_SOCKET) {
                    failures.fetch_add(1);
                    continue;
                }
                int type = 0;
                int len = sizeof type;
                if (getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) != 0 ||
                    type != SOCK_STREAM)
                    failures.fetch_add(1);
                if (closesocket(s) != 0)
                    failures.fetch_add(1);
                graveyard[buried.fetch_add(1) % graveyard.size()].store(s);
                const SOCKET stale =
                    graveyard[static_cast<std::size_t>(i) % graveyard.size()].load();
                if (stale != 0) {
                    len = sizeof type;
                    if (getsockopt(stale, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type),
                                   &len) != SOCKET_ERROR ||
                        WSAGetLastError() != WSAENOTSOCK)
                        failures.fetch_add(1);
                }
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
}

} // namespace
