// Proves that the Linux compat headers reproduce the Windows x64 layout: every size, every
// field offset and size, and every constant value listed in windows_x64_layout.inc (generated
// from MinGW-w64's real Windows headers by tools/abi-regen) and windows_x64_rio_layout.inc
// (the Windows SDK's documented RIO layout, which MinGW lacks).
#include <riosp/spi.h>

#include <gtest/gtest.h>

#include <cstddef>

#define ABI_EXPECT_STRUCT(T, size) EXPECT_EQ(sizeof(T), size##u) << "sizeof(" #T ")";
#define ABI_EXPECT_FIELD(T, f, offset, size)                                                       \
    EXPECT_EQ(offsetof(T, f), offset##u) << "offsetof(" #T ", " #f ")";                            \
    EXPECT_EQ(sizeof(static_cast<T*>(nullptr)->f), size##u) << "sizeof(" #T "::" #f ")";
#define ABI_EXPECT_CONST(name, value) EXPECT_EQ(static_cast<long long>(name), value##LL) << #name;

TEST(WindowsX64Layout, SpiStructuresMatchMinGWWindowsHeaders){
#include "windows_x64_layout_structs.inc"
}

TEST(WindowsX64Layout, ConstantsMatchMinGWWindowsHeaders){
#include "windows_x64_layout_constants.inc"
}

TEST(WindowsX64Layout, RioStructuresMatchWindowsSdk){
#include "windows_x64_rio_layout.inc"
}

TEST(WindowsX64Layout, BaseTypesHaveLLP64Widths) {
    EXPECT_EQ(sizeof(DWORD), 4u);
    EXPECT_EQ(sizeof(ULONG), 4u);
    EXPECT_EQ(sizeof(u_long), 4u);
    EXPECT_EQ(sizeof(LONG), 4u);
    EXPECT_EQ(sizeof(WCHAR), 2u);
    EXPECT_EQ(sizeof(SOCKET), sizeof(void*));
    EXPECT_EQ(sizeof(DWORD_PTR), 8u);
    EXPECT_EQ(sizeof(HANDLE), 8u);
    EXPECT_TRUE(static_cast<SOCKET>(-1) == INVALID_SOCKET);
}
