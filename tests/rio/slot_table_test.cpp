// rio/slot_table.h, the one generation-checked table behind rio's handles, buffer ids and
// progress-thread targets and the provider's sockets: a handle names one life of one slot, and
// taking and returning slots from many threads at once needs no lock (run under TSan).
#include <rio/slot_table.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace riosp::rio::test {
namespace {

struct Entry : TableSlot {
    int value = 0;
    std::atomic<int> owners{0}; // how many threads believe they hold the slot
};
using Small = SlotTable<Entry, 4, 2>;
using Handle = Small::Handle;

Handle take(Small& t, int value) {
    Entry* e = t.acquire();
    if (e == nullptr)
        return 0;
    e->value = value;
    return t.publish(*e);
}

TEST(SlotTable, AHandleNamesOneLifeOfOneSlot) {
    Small t;
    const Handle h = take(t, 7);
    ASSERT_NE(h, 0U);
    Entry* e = t.resolve(h);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value, 7);
    EXPECT_EQ(Small::handle_of(*e), h);
    EXPECT_TRUE(Small::is_live(*e));

    EXPECT_EQ(t.retire(h), e);
    EXPECT_EQ(t.resolve(h), nullptr) << "retired: dead at once, before the slot is recycled";
    EXPECT_FALSE(Small::is_live(*e));
    t.recycle(*e);

    const Handle next = take(t, 8);
    ASSERT_EQ(t.resolve(next), e) << "the free list hands the same slot out again (LIFO)";
    EXPECT_NE(next, h);
    EXPECT_EQ(Small::generation(*e), static_cast<std::uint32_t>(h >> 32) + 1);
    EXPECT_EQ(t.resolve(h), nullptr) << "the old life's handle never names the new one";
}

TEST(SlotTable, MadeUpHandlesNameNothing) {
    Small t;
    const Handle h = take(t, 1);
    ASSERT_NE(t.resolve(h), nullptr);
    EXPECT_EQ(t.resolve(0), nullptr);
    EXPECT_EQ(t.resolve(h & 0xFFFFFFFFULL), nullptr) << "generation 0 is never issued";
    EXPECT_EQ(t.resolve(h + (1ULL << 32)), nullptr) << "a generation ahead";
    EXPECT_EQ(t.resolve((h & ~0xFFFFFFFFULL) | 5), nullptr) << "a chunk not made yet";
    EXPECT_EQ(t.resolve((h & ~0xFFFFFFFFULL) | 9), nullptr) << "beyond the table";
    EXPECT_EQ(t.resolve(~0ULL), nullptr);
    bool idle = false;
    EXPECT_EQ(t.retire(h + (1ULL << 32), idle), nullptr);
    EXPECT_NE(t.resolve(h), nullptr) << "a stale retire changes nothing";
}

TEST(SlotTable, OfTwoRetiresOfOneHandleOneWins) {
    Small t;
    const Handle h = take(t, 1);
    EXPECT_NE(t.retire(h), nullptr);
    EXPECT_EQ(t.retire(h), nullptr);
    Entry* e = t.acquire(); // the retired slot is not free until recycled
    ASSERT_NE(e, nullptr);
    EXPECT_NE(e->slot_index(), static_cast<std::uint32_t>((h & 0xFFFFFFFFULL) - 1));
}

TEST(SlotTable, PinsHoldARetiredSlotUntilTheLastLetsGo) {
    Small t;
    const Handle h = take(t, 1);
    bool full = true;
    Entry* a = t.pin(h, full);
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(full);
    ASSERT_EQ(t.pin(h, full), a);
    EXPECT_FALSE(Small::unpin(*a)) << "live: the slot stays";

    bool idle = true;
    ASSERT_EQ(t.retire(h, idle), a);
    EXPECT_FALSE(idle) << "a pin holds it";
    EXPECT_EQ(t.pin(h, full), nullptr) << "no new pin on a retired handle";
    EXPECT_FALSE(full);
    EXPECT_TRUE(Small::unpin(*a)) << "the last pin recycles";
    t.recycle(*a);
    EXPECT_EQ(t.in_use(), 0U);

    const Handle k = take(t, 2);
    Entry* b = t.resolve(k);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(t.retire(k, idle), b);
    EXPECT_TRUE(idle) << "no pin: the retiring caller recycles";
}

TEST(SlotTable, GrowsByChunksUpToItsCapacity) {
    Small t;
    std::vector<Handle> handles;
    for (int i = 0; i < 8; ++i) {
        handles.push_back(take(t, i));
        ASSERT_NE(handles.back(), 0U) << i;
        EXPECT_EQ(t.resolve(handles.back())->slot_index(), static_cast<std::uint32_t>(i))
            << "a fresh chunk is handed out in index order";
    }
    EXPECT_EQ(t.acquire(), nullptr) << "full";
    EXPECT_EQ(t.in_use(), 8U);

    // Retired but not recycled slots are still taken: WSPCleanup sees closed sockets too.
    (void)t.retire(handles[3]);
    int taken = 0;
    t.for_each_taken([&](Entry&) { ++taken; });
    EXPECT_EQ(taken, 8);
    t.recycle(t.slot(3));
    taken = 0;
    t.for_each_taken([&](Entry& e) {
        ++taken;
        EXPECT_NE(e.slot_index(), 3U);
    });
    EXPECT_EQ(taken, 7);
    EXPECT_NE(t.acquire(), nullptr) << "a recycled slot comes back";
}

// Many threads take, use and return slots at once: a slot is never held by two of them, and a
// handle resolves to its slot for as long as its holder keeps it.
TEST(SlotTable, ThreadsTakeAndReturnSlotsWithoutALock) {
    SlotTable<Entry, 16, 64> t;
    constexpr int kThreads = 4;
    constexpr int kRounds = 20000;
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int n = 0; n < kThreads; ++n) {
        threads.emplace_back([&t, &errors, n] {
            for (int i = 0; i < kRounds; ++i) {
                Entry* e = t.acquire();
                if (e == nullptr || e->owners.fetch_add(1) != 0) {
                    errors.fetch_add(1);
                    return;
                }
                e->value = n;
                const auto h = t.publish(*e);
                if (t.resolve(h) != e || e->value != n)
                    errors.fetch_add(1);
                e->owners.fetch_sub(1);
                if (t.retire(h) != e)
                    errors.fetch_add(1);
                t.recycle(*e);
            }
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(t.in_use(), 0U);
}

} // namespace
} // namespace riosp::rio::test
