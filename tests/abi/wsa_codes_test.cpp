// riosp/wsa_codes.h: the table is well-formed, name() names every code and any other, and the
// WSA constants code uses (Linux: abi/linux/winerror.h, built from the table; Windows: the
// system headers) are the table's.
#include <riosp/spi.h>
#include <riosp/wsa_codes.h>

#include <gtest/gtest.h>

#include <climits>
#include <set>
#include <string>
#include <string_view>

namespace {

using riosp::wsa::codes;
using riosp::wsa::known_name;
using riosp::wsa::name;

// Naming is usable where a constant is needed, e.g. a static table of messages.
static_assert(name(10054).view() == "WSAECONNRESET");
static_assert(name(12345).view() == "WSA error 12345");

TEST(WsaCodes, NamesKnownCodes) {
    EXPECT_EQ(name(10054).view(), "WSAECONNRESET");
    EXPECT_EQ(name(995).view(), "WSA_OPERATION_ABORTED");
    EXPECT_EQ(name(10106).view(), "WSAEPROVIDERFAILEDINIT");
    EXPECT_EQ(name(11003).view(), "WSANO_RECOVERY");
    EXPECT_EQ(known_name(10058), "WSAESHUTDOWN");
    EXPECT_STREQ(name(10035).c_str(), "WSAEWOULDBLOCK");
    EXPECT_EQ(name(10048).str(), "WSAEADDRINUSE");
}

TEST(WsaCodes, UnknownCodesReadAsNumbers) {
    EXPECT_EQ(name(0).view(), "WSA error 0");
    EXPECT_EQ(name(12345).view(), "WSA error 12345");
    EXPECT_EQ(name(-7).view(), "WSA error -7");
    EXPECT_EQ(name(INT_MAX).view(), "WSA error 2147483647");
    EXPECT_EQ(name(INT_MIN).view(), "WSA error -2147483648");
    EXPECT_STREQ(name(INT_MIN).c_str(), "WSA error -2147483648");
    EXPECT_TRUE(known_name(0).empty());
    EXPECT_TRUE(known_name(10000).empty());
}

TEST(WsaCodes, TableIsInValueOrderWithDistinctNames) {
    std::set<std::string_view> names;
    int previous = 0;
    for (const auto& c : codes) {
        EXPECT_GT(c.value, previous) << c.name;
        previous = c.value;
        EXPECT_TRUE(c.name.starts_with("WSA")) << c.name;
        EXPECT_TRUE(names.insert(c.name).second) << c.name << " twice";
        EXPECT_EQ(name(c.value).view(), c.name);
    }
}

TEST(WsaCodes, ConstantsAreTheTables) {
#define RIOSP_WSA_EXPECT_CONSTANT(name, value) EXPECT_EQ(name, value) << #name;
    RIOSP_WSA_CODES(RIOSP_WSA_EXPECT_CONSTANT)
#undef RIOSP_WSA_EXPECT_CONSTANT
}

} // namespace
