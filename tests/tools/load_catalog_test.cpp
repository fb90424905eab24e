// riosp-load's choice of catalog entries (tools/load/catalog_lookup.h): riosp's by its provider
// GUID, the system's for the baseline, over fabricated catalogs: the installed-catalog path cannot
// run under Wine (WSCInstallProvider is a stub there), so the part that decides which entry a
// socket comes from is tested here, on Linux and under Wine alike.
#include "catalog_lookup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace {

using riosp::load::find_entry;
using riosp::load::Owner;
namespace provider = riosp::provider;

// Another provider's entry for the same family and type, as the system's own TCP/IP looks.
WSAPROTOCOL_INFOW foreign(int family, int type, DWORD id) {
    WSAPROTOCOL_INFOW e{};
    e.ProviderId = {0xe70f1aa0, 0xab8b, 0x11cf, {0x8c, 0xa3, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92}};
    e.dwCatalogEntryId = id;
    e.iAddressFamily = family;
    e.iSocketType = type;
    e.iProtocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    e.ProtocolChain.ChainLen = BASE_PROTOCOL;
    return e;
}

// The system's entries first, then riosp's four with ids as Winsock assigns them (1001..1004),
// the order `riosp-install install` leaves.
std::vector<WSAPROTOCOL_INFOW> installed_catalog() {
    std::vector<WSAPROTOCOL_INFOW> c{
        foreign(AF_INET, SOCK_STREAM, 1), foreign(AF_INET, SOCK_DGRAM, 2),
        foreign(AF_INET6, SOCK_STREAM, 3), foreign(AF_INET6, SOCK_DGRAM, 4)};
    DWORD id = 1001;
    for (WSAPROTOCOL_INFOW e : provider::riosp_catalog) {
        e.dwCatalogEntryId = id++;
        c.push_back(e);
    }
    return c;
}

TEST(RiospLoadCatalog, FindsRiospsEntryForEachFamilyAndTypeByProviderGuid) {
    const auto c = installed_catalog();
    const WSAPROTOCOL_INFOW* tcp4 = find_entry(c, AF_INET, SOCK_STREAM, Owner::riosp);
    const WSAPROTOCOL_INFOW* tcp6 = find_entry(c, AF_INET6, SOCK_STREAM, Owner::riosp);
    const WSAPROTOCOL_INFOW* udp4 = find_entry(c, AF_INET, SOCK_DGRAM, Owner::riosp);
    const WSAPROTOCOL_INFOW* udp6 = find_entry(c, AF_INET6, SOCK_DGRAM, Owner::riosp);
    ASSERT_NE(tcp4, nullptr);
    ASSERT_NE(tcp6, nullptr);
    ASSERT_NE(udp4, nullptr);
    ASSERT_NE(udp6, nullptr);
    EXPECT_EQ(tcp4->dwCatalogEntryId, 1001u);
    EXPECT_EQ(tcp6->dwCatalogEntryId, 1002u);
    EXPECT_EQ(udp4->dwCatalogEntryId, 1003u);
    EXPECT_EQ(udp6->dwCatalogEntryId, 1004u);
}

TEST(RiospLoadCatalog, RiospFirstInTheCatalogIsFoundTheSame) {
    auto c = installed_catalog();
    std::rotate(c.begin(), c.begin() + 4, c.end()); // `riosp-install order first`
    const WSAPROTOCOL_INFOW* tcp6 = find_entry(c, AF_INET6, SOCK_STREAM, Owner::riosp);
    ASSERT_NE(tcp6, nullptr);
    EXPECT_EQ(tcp6->dwCatalogEntryId, 1002u);
}

TEST(RiospLoadCatalog, NoneWithoutRiospsGuid) {
    auto c = installed_catalog();
    c.resize(4); // the system's entries alone: riosp not installed
    EXPECT_EQ(find_entry(c, AF_INET, SOCK_STREAM, Owner::riosp), nullptr);
    EXPECT_EQ(find_entry(c, AF_INET6, SOCK_DGRAM, Owner::riosp), nullptr);
    EXPECT_EQ(find_entry({}, AF_INET, SOCK_STREAM, Owner::riosp), nullptr);
}

TEST(RiospLoadCatalog, AnEntryMissingFromRiospsOwnIsNotFound) {
    auto c = installed_catalog();
    c.erase(c.begin() + 5); // riosp's TCP/IPv6 entry
    EXPECT_EQ(find_entry(c, AF_INET6, SOCK_STREAM, Owner::riosp), nullptr);
    ASSERT_NE(find_entry(c, AF_INET, SOCK_STREAM, Owner::riosp), nullptr);
}

TEST(RiospLoadCatalog, TheBaselineTakesTheSystemsEntryWhenRiospIsFirst) {
    auto c = installed_catalog();
    std::rotate(c.begin(), c.begin() + 4, c.end());
    const WSAPROTOCOL_INFOW* tcp4 = find_entry(c, AF_INET, SOCK_STREAM, Owner::system);
    const WSAPROTOCOL_INFOW* udp6 = find_entry(c, AF_INET6, SOCK_DGRAM, Owner::system);
    ASSERT_NE(tcp4, nullptr);
    ASSERT_NE(udp6, nullptr);
    EXPECT_EQ(tcp4->dwCatalogEntryId, 1u);
    EXPECT_EQ(udp6->dwCatalogEntryId, 4u);
}

TEST(RiospLoadCatalog, ALayeredProvidersOwnEntryIsSkipped) {
    auto c = installed_catalog();
    WSAPROTOCOL_INFOW layer = foreign(AF_INET, SOCK_STREAM, 7);
    layer.ProtocolChain.ChainLen = LAYERED_PROTOCOL; // makes no sockets itself
    c.insert(c.begin(), layer);
    const WSAPROTOCOL_INFOW* tcp4 = find_entry(c, AF_INET, SOCK_STREAM, Owner::system);
    ASSERT_NE(tcp4, nullptr);
    EXPECT_EQ(tcp4->dwCatalogEntryId, 1u);
}

} // namespace
