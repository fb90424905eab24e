// rio::net::can_read / can_write: what the provider asks the kernel about the application's
// memory before it copies between the application's buffers and its rings itself (a kernel call
// would answer EFAULT; a copy of its own would crash). Platform-free: the pages come from
// support/guard_pages.h (mmap / VirtualAlloc).
#include "support/guard_pages.h"

#include <rio/net.h>

#include <gtest/gtest.h>

#include <cstdint>

namespace riosp::rio::test {
namespace {

using riosp::test::GuardPages;

TEST(AppMemory, UsableMemoryCanBeReadAndWritten) {
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    EXPECT_TRUE(net::can_read(mem.usable(), mem.page_size()));
    EXPECT_TRUE(net::can_write(mem.usable(), mem.page_size()));
    EXPECT_TRUE(net::can_write(mem.usable_tail(3), 3)) << "an unaligned start";
    EXPECT_TRUE(net::can_read(nullptr, 0)) << "an empty range";
}

TEST(AppMemory, MemoryTheProcessMayNotTouchCanNeitherBeReadNorWritten) {
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    EXPECT_FALSE(net::can_read(mem.guard(), 1));
    EXPECT_FALSE(net::can_write(mem.guard(), 1));
    EXPECT_FALSE(net::can_read(mem.usable_tail(16), 32)) << "a range that runs into it";
    EXPECT_FALSE(net::can_write(mem.usable_tail(16), 32));
    EXPECT_FALSE(net::can_read(mem.usable(), SIZE_MAX)) << "past the end of the address space";
    ASSERT_TRUE(mem.revoke());
    EXPECT_FALSE(net::can_read(mem.usable(), 1)) << "taken away after it was good";
}

TEST(AppMemory, ReadOnlyMemoryCanBeReadButNotWritten) {
    GuardPages mem;
    ASSERT_TRUE(mem.ok());
    ASSERT_TRUE(mem.read_only());
    EXPECT_TRUE(net::can_read(mem.usable(), mem.page_size()));
    EXPECT_FALSE(net::can_write(mem.usable(), mem.page_size()));
}

} // namespace
} // namespace riosp::rio::test
