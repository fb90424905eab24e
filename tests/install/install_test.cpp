// riosp-install's logic under Wine (or Windows): everything but the real catalog writes, which
// need an elevated Windows (Wine's WSC* functions are stubs or missing).
#include "install.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cwchar>
#include <string>
#include <vector>

using namespace riosp::install;

namespace {

ParseResult parse(std::initializer_list<std::wstring_view> args) {
    std::vector<std::wstring_view> v(args);
    return parse_args(v);
}

bool contains(const std::wstring& haystack, std::wstring_view needle) {
    return haystack.find(needle) != std::wstring::npos;
}

// ---------------------------------------------------------------------------------------------
// Arguments

TEST(InstallArgs, InstallTakesTheDllPath) {
    auto r = parse({L"install", L"C:\\riosp\\riosp_provider.dll"});
    ASSERT_TRUE(r.ok()) << std::string(r.error.begin(), r.error.end());
    EXPECT_EQ(r.options.command, Command::install);
    EXPECT_EQ(r.options.dll_path, L"C:\\riosp\\riosp_provider.dll");
    EXPECT_FALSE(r.options.only_64);
    EXPECT_FALSE(r.options.position.has_value());
}

TEST(InstallArgs, InstallWithOrderAndSixtyFourOnlyInAnyPosition) {
    auto r = parse({L"install", L"--first", L"C:\\x\\riosp_provider.dll", L"--64-only"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.options.position, Position::first);
    EXPECT_TRUE(r.options.only_64);
    r = parse({L"install", L"C:\\x\\riosp_provider.dll", L"--last"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.options.position, Position::last);
}

TEST(InstallArgs, RemoveListOrder) {
    EXPECT_EQ(parse({L"remove"}).options.command, Command::remove);
    EXPECT_EQ(parse({L"list", L"--64-only"}).options.command, Command::list);
    EXPECT_TRUE(parse({L"list", L"--64-only"}).options.only_64);
    auto r = parse({L"order", L"first"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.options.command, Command::order);
    EXPECT_EQ(r.options.position, Position::first);
    EXPECT_EQ(parse({L"order", L"last"}).options.position, Position::last);
}

TEST(InstallArgs, HelpSpellings) {
    for (auto h : {L"help", L"--help", L"-h", L"/?"}) {
        auto r = parse({h});
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(r.options.command, Command::help);
    }
}

TEST(InstallArgs, ErrorsAreOneLine) {
    const std::vector<std::vector<std::wstring_view>> bad = {
        {},
        {L"frobnicate"},
        {L"install"},
        {L"install", L"C:\\a.dll", L"C:\\b.dll"},
        {L"install", L"C:\\a.dll", L"--first", L"--last"},
        {L"install", L"C:\\a.dll", L"--verbose"},
        {L"remove", L"extra"},
        {L"list", L"--first"},
        {L"order"},
        {L"order", L"middle"},
        {L"order", L"first", L"last"},
    };
    for (const auto& args : bad) {
        auto r = parse_args(args);
        EXPECT_FALSE(r.ok()) << args.size();
        EXPECT_FALSE(contains(r.error, L"\n"));
    }
    EXPECT_TRUE(contains(parse({L"frobnicate"}).error, L"frobnicate"));
    EXPECT_TRUE(contains(parse({L"install"}).error, L"path"));
}

TEST(InstallArgs, UnknownOptionNamesTheNearestAndHelpListsEverything) {
    EXPECT_TRUE(contains(parse({L"install", L"C:\\a.dll", L"--firts"}).error,
                         L"unknown option '--firts' (did you mean --first?)"));
    const auto unrelated = parse({L"list", L"--verbose"}).error;
    EXPECT_TRUE(contains(unrelated, L"unknown option '--verbose'"));
    EXPECT_FALSE(contains(unrelated, L"did you mean"));
    const std::wstring help = usage();
    for (auto word : {L"install", L"remove", L"list", L"order", L"--64-only", L"--first", L"--last",
                      L"elevated"})
        EXPECT_TRUE(contains(help, word)) << std::string(word, word + std::wcslen(word));
}

TEST(InstallArgs, DllPathChecks) {
    EXPECT_EQ(check_dll_path(L"C:\\Program Files\\riosp\\riosp_provider.dll"), L"");
    EXPECT_EQ(check_dll_path(L"c:/riosp/RIOSP_PROVIDER.DLL"), L"");
    EXPECT_EQ(check_dll_path(L"\\\\server\\share\\riosp_provider.dll"), L"");
    EXPECT_EQ(check_dll_path(L"%SystemRoot%\\system32\\riosp_provider.dll"), L"");
    EXPECT_TRUE(contains(check_dll_path(L"riosp_provider.dll"), L"relative"));
    EXPECT_TRUE(contains(check_dll_path(L"..\\riosp_provider.dll"), L"relative"));
    EXPECT_TRUE(contains(check_dll_path(L"C:\\riosp\\riosp_provider.exe"), L".dll"));
    EXPECT_FALSE(check_dll_path(L"").empty());
    EXPECT_FALSE(check_dll_path(L"C:\\" + std::wstring(MAX_PATH, L'a') + L".dll").empty());
}

// ---------------------------------------------------------------------------------------------
// Entries

TEST(InstallEntries, TcpAndUdpOverIpv4AndIpv6AsABaseProvider) {
    const auto entries = catalog_entries();
    ASSERT_EQ(entries.size(), 4u);
    const GUID guid = provider_id();
    std::array<int, 4> families{};
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        families[i] = e.iAddressFamily;
        EXPECT_EQ(std::memcmp(&e.ProviderId, &guid, sizeof guid), 0);
        EXPECT_TRUE(is_riosp_entry(e));
        EXPECT_EQ(e.dwCatalogEntryId, 0u) << "Winsock assigns catalog ids";
        EXPECT_EQ(e.ProtocolChain.ChainLen, BASE_PROTOCOL);
        EXPECT_EQ(e.ProtocolChain.ChainEntries[0], 0u);
        EXPECT_EQ(e.iVersion, 2);
        EXPECT_EQ(e.iNetworkByteOrder, BIGENDIAN);
        if (i < 2) { // TCP first, as the system's entries come
            EXPECT_EQ(e.iSocketType, SOCK_STREAM);
            EXPECT_EQ(e.iProtocol, IPPROTO_TCP);
            EXPECT_EQ(e.dwMessageSize, 0u);
            EXPECT_NE(e.dwServiceFlags1 & XP1_GUARANTEED_DELIVERY, 0u);
            EXPECT_NE(e.dwServiceFlags1 & XP1_GUARANTEED_ORDER, 0u);
            EXPECT_NE(e.dwServiceFlags1 & XP1_GRACEFUL_CLOSE, 0u);
        } else {
            EXPECT_EQ(e.iSocketType, SOCK_DGRAM);
            EXPECT_EQ(e.iProtocol, IPPROTO_UDP);
            EXPECT_EQ(e.dwMessageSize, 65467u);
            EXPECT_NE(e.dwServiceFlags1 & XP1_CONNECTIONLESS, 0u);
            EXPECT_NE(e.dwServiceFlags1 & XP1_MESSAGE_ORIENTED, 0u);
        }
        EXPECT_EQ(e.dwServiceFlags1 & XP1_IFS_HANDLES, 0u) << "riosp is a non-IFS provider";
        EXPECT_NE(e.dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO, 0u);
        const auto name_len = wcsnlen(e.szProtocol, WSAPROTOCOL_LEN + 1);
        EXPECT_GT(name_len, 0u);
        EXPECT_LE(name_len, static_cast<std::size_t>(WSAPROTOCOL_LEN));
        EXPECT_NE(std::wstring(e.szProtocol).find(L"riosp"), std::wstring::npos);
    }
    EXPECT_EQ(families[0], AF_INET);
    EXPECT_EQ(families[1], AF_INET6);
    EXPECT_EQ(families[2], AF_INET);
    EXPECT_EQ(families[3], AF_INET6);
    EXPECT_EQ(entries[0].iMaxSockAddr, static_cast<int>(sizeof(sockaddr_in)));
    EXPECT_EQ(entries[0].iMinSockAddr, static_cast<int>(sizeof(sockaddr_in)));
    EXPECT_EQ(entries[1].iMaxSockAddr, static_cast<int>(sizeof(sockaddr_in6)));
    EXPECT_EQ(entries[1].iMinSockAddr, static_cast<int>(sizeof(sockaddr_in6)));
}

WSAPROTOCOL_INFOW foreign(DWORD id, int af = AF_INET) {
    WSAPROTOCOL_INFOW e{};
    e.dwCatalogEntryId = id;
    e.iAddressFamily = af;
    e.iSocketType = SOCK_STREAM;
    e.iProtocol = IPPROTO_TCP;
    e.ProtocolChain.ChainLen = BASE_PROTOCOL;
    e.ProviderId = {0xe70f1aa0, 0xab8b, 0x11cf, {0x8c, 0xa3, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92}};
    std::wcscpy(e.szProtocol, L"MSAFD Tcpip [TCP/IP]");
    return e;
}

WSAPROTOCOL_INFOW ours(DWORD id, int af = AF_INET) {
    auto e = catalog_entries()[af == AF_INET ? 0 : 1];
    e.dwCatalogEntryId = id;
    return e;
}

TEST(InstallEntries, OrderMovesRiospAndKeepsTheRest) {
    const std::vector<WSAPROTOCOL_INFOW> catalog = {foreign(1001), foreign(1002), ours(1010),
                                                    foreign(1003), ours(1011, AF_INET6)};
    EXPECT_EQ(provider_order(catalog, Position::first),
              (std::vector<DWORD>{1010, 1011, 1001, 1002, 1003}));
    EXPECT_EQ(provider_order(catalog, Position::last),
              (std::vector<DWORD>{1001, 1002, 1003, 1010, 1011}));
    const std::vector<WSAPROTOCOL_INFOW> none = {foreign(7), foreign(8)};
    EXPECT_EQ(provider_order(none, Position::first), (std::vector<DWORD>{7, 8}));
    EXPECT_TRUE(provider_order({}, Position::last).empty());
}

TEST(InstallEntries, ListLineMarksRiosp) {
    const auto mine = describe_entry(ours(1010, AF_INET6));
    const auto theirs = describe_entry(foreign(1001));
    EXPECT_EQ(mine.substr(0, 2), L"* ");
    EXPECT_EQ(theirs.substr(0, 2), L"  ");
    EXPECT_TRUE(contains(mine, L"1010"));
    EXPECT_TRUE(contains(mine, L"IPv6"));
    EXPECT_TRUE(contains(mine, L"stream"));
    EXPECT_TRUE(contains(mine, L"base"));
    EXPECT_TRUE(contains(mine, L"riosp"));
    EXPECT_TRUE(contains(theirs, L"MSAFD Tcpip [TCP/IP]"));
    EXPECT_FALSE(contains(mine, L"\n"));
}

TEST(InstallErrors, AccessDeniedSaysElevate) {
    for (int code : {WSAEACCES, static_cast<int>(ERROR_ACCESS_DENIED)}) {
        const auto line = error_message(L"installing the provider", code);
        EXPECT_TRUE(contains(line, L"installing the provider"));
        EXPECT_TRUE(contains(line, L"Administrator"));
        EXPECT_TRUE(contains(line, L"elevated"));
        EXPECT_TRUE(contains(line, std::to_wstring(code)));
        EXPECT_FALSE(contains(line, L"\n"));
    }
    EXPECT_TRUE(contains(error_message(L"x", WSAEACCES), L"WSAEACCES"));
    EXPECT_TRUE(contains(error_message(L"x", ERROR_ACCESS_DENIED), L"ERROR_ACCESS_DENIED"));
    const auto other = error_message(L"x", 12345);
    EXPECT_TRUE(contains(other, L"12345"));
    EXPECT_FALSE(contains(other, L"Administrator"));
}

// ---------------------------------------------------------------------------------------------
// Commands against fake catalog functions

struct FakeCatalog {
    std::vector<WSAPROTOCOL_INFOW> entries64 = {foreign(1001), foreign(1002, AF_INET6)};
    std::vector<WSAPROTOCOL_INFOW> entries32 = {foreign(2001)};
    int fail_with = 0; // error every mutating call reports, 0 = succeed
    int installs = 0, deinstalls = 0, deinstalls32 = 0;
    GUID installed_guid{};
    std::wstring installed_path;
    std::vector<WSAPROTOCOL_INFOW> installed;
    std::vector<DWORD> order64, order32;
    bool installed_both = false;
};
FakeCatalog* fake = nullptr;

int install_into(bool both, LPGUID guid, const WCHAR* path, LPWSAPROTOCOL_INFOW list, DWORD n,
                 LPINT err) {
    ++fake->installs;
    if (fake->fail_with != 0) {
        *err = fake->fail_with;
        return SOCKET_ERROR;
    }
    fake->installed_both = both;
    fake->installed_guid = *guid;
    fake->installed_path = path;
    fake->installed.assign(list, list + n);
    DWORD next = 1010;
    for (DWORD i = 0; i < n; ++i) {
        auto e = list[i];
        e.dwCatalogEntryId = next++;
        fake->entries64.push_back(e);
        if (both)
            fake->entries32.push_back(e);
    }
    return 0;
}
int WSPAPI fake_install64_32(LPGUID g, const WCHAR* p, LPWSAPROTOCOL_INFOW l, DWORD n, LPINT e) {
    return install_into(true, g, p, l, n, e);
}
int WSPAPI fake_install(LPGUID g, const WCHAR* p, LPWSAPROTOCOL_INFOW l, DWORD n, LPINT e) {
    return install_into(false, g, p, l, n, e);
}
int deinstall_from(std::vector<WSAPROTOCOL_INFOW>& entries, int& calls, LPGUID guid, LPINT err) {
    ++calls;
    if (fake->fail_with != 0) {
        *err = fake->fail_with;
        return SOCKET_ERROR;
    }
    std::erase_if(entries, [&](const WSAPROTOCOL_INFOW& e) {
        return std::memcmp(&e.ProviderId, guid, sizeof(GUID)) == 0;
    });
    return 0;
}
int WSPAPI fake_deinstall(LPGUID g, LPINT e) {
    return deinstall_from(fake->entries64, fake->deinstalls, g, e);
}
int WSPAPI fake_deinstall32(LPGUID g, LPINT e) {
    return deinstall_from(fake->entries32, fake->deinstalls32, g, e);
}
int enum_from(const std::vector<WSAPROTOCOL_INFOW>& entries, LPWSAPROTOCOL_INFOW buffer,
              LPDWORD bytes, LPINT err) {
    const DWORD need = static_cast<DWORD>(entries.size() * sizeof(WSAPROTOCOL_INFOW));
    if (buffer == nullptr || *bytes < need) {
        *bytes = need;
        *err = WSAENOBUFS;
        return SOCKET_ERROR;
    }
    std::copy(entries.begin(), entries.end(), buffer);
    return static_cast<int>(entries.size());
}
int WSPAPI fake_enum(LPINT, LPWSAPROTOCOL_INFOW b, LPDWORD n, LPINT e) {
    return enum_from(fake->entries64, b, n, e);
}
int WSPAPI fake_enum32(LPINT, LPWSAPROTOCOL_INFOW b, LPDWORD n, LPINT e) {
    return enum_from(fake->entries32, b, n, e);
}
int WSPAPI fake_write_order(LPDWORD ids, DWORD n) {
    if (fake->fail_with != 0)
        return fake->fail_with;
    fake->order64.assign(ids, ids + n);
    return 0;
}
int WSPAPI fake_write_order32(LPDWORD ids, DWORD n) {
    if (fake->fail_with != 0)
        return fake->fail_with;
    fake->order32.assign(ids, ids + n);
    return 0;
}

class InstallRun : public ::testing::Test {
protected:
    void SetUp() override { fake = &catalog; }
    void TearDown() override { fake = nullptr; }
    int run_args(std::initializer_list<std::wstring_view> args) {
        auto parsed = parse(args);
        EXPECT_TRUE(parsed.ok());
        output = {};
        return run(parsed.options, api, output);
    }
    FakeCatalog catalog;
    WscApi api{fake_install64_32, fake_install, fake_deinstall,   fake_deinstall32,
               fake_enum,         fake_enum32,  fake_write_order, fake_write_order32};
    Output output;
};

TEST_F(InstallRun, InstallWritesBothCatalogsWithTheGuidAndPath) {
    EXPECT_EQ(run_args({L"install", L"C:\\riosp\\riosp_provider.dll"}), exit_ok);
    EXPECT_EQ(catalog.installs, 1);
    EXPECT_TRUE(catalog.installed_both);
    const GUID guid = provider_id();
    EXPECT_EQ(std::memcmp(&catalog.installed_guid, &guid, sizeof guid), 0);
    EXPECT_EQ(catalog.installed_path, L"C:\\riosp\\riosp_provider.dll");
    ASSERT_EQ(catalog.installed.size(), 4u);
    EXPECT_EQ(catalog.installed[0].iAddressFamily, AF_INET);
    EXPECT_EQ(catalog.installed[1].iAddressFamily, AF_INET6);
    EXPECT_EQ(catalog.installed[2].iProtocol, IPPROTO_UDP);
    EXPECT_TRUE(catalog.order64.empty()) << "no reorder unless asked";
    EXPECT_TRUE(output.err.empty());
    EXPECT_TRUE(contains(output.out, L"64-bit and 32-bit"));
}

TEST_F(InstallRun, InstallSixtyFourOnlyUsesWscInstallProvider) {
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll", L"--64-only"}), exit_ok);
    EXPECT_FALSE(catalog.installed_both);
    EXPECT_EQ(catalog.entries32.size(), 1u);
}

TEST_F(InstallRun, InstallFirstOrdersBothCatalogs) {
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll", L"--first"}), exit_ok);
    EXPECT_EQ(catalog.order64, (std::vector<DWORD>{1010, 1011, 1012, 1013, 1001, 1002}));
    EXPECT_EQ(catalog.order32, (std::vector<DWORD>{1010, 1011, 1012, 1013, 2001}));
}

TEST_F(InstallRun, InstallRefusesRelativePathAndSecondInstall) {
    EXPECT_EQ(run_args({L"install", L"riosp_provider.dll"}), exit_usage);
    EXPECT_EQ(catalog.installs, 0);
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_ok);
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_failed);
    EXPECT_TRUE(contains(output.err, L"already installed"));
    EXPECT_EQ(catalog.installs, 1);
}

TEST_F(InstallRun, NotElevatedIsOneClearLine) {
    catalog.fail_with = WSAEACCES;
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_failed);
    EXPECT_TRUE(output.out.empty());
    EXPECT_EQ(std::count(output.err.begin(), output.err.end(), L'\n'), 1);
    EXPECT_TRUE(contains(output.err, L"WSAEACCES"));
    EXPECT_TRUE(contains(output.err, L"elevated"));

    catalog.fail_with = 0;
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_ok);
    catalog.fail_with = ERROR_ACCESS_DENIED;
    EXPECT_EQ(run_args({L"order", L"first", L"--64-only"}), exit_failed);
    EXPECT_TRUE(contains(output.err, L"ERROR_ACCESS_DENIED"));
    EXPECT_TRUE(contains(output.err, L"elevated"));
    EXPECT_EQ(run_args({L"remove", L"--64-only"}), exit_failed);
    EXPECT_TRUE(contains(output.err, L"elevated"));
}

TEST_F(InstallRun, MissingFunctionsAreReportedNotCalled) {
    api.install64_32 = nullptr; // Wine's ws2_32
    api.deinstall32 = nullptr;
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_failed);
    EXPECT_TRUE(contains(output.err, L"WSCInstallProvider64_32"));
    EXPECT_TRUE(contains(output.err, L"--64-only"));
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll", L"--64-only"}), exit_ok);
    EXPECT_EQ(run_args({L"remove"}), exit_failed);
    EXPECT_TRUE(contains(output.err, L"WSCDeinstallProvider32"));
    EXPECT_EQ(catalog.deinstalls, 1) << "the 64-bit catalog is still cleaned";
}

TEST_F(InstallRun, RemoveBothCatalogsAndNothingToRemove) {
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_ok);
    EXPECT_EQ(run_args({L"remove"}), exit_ok);
    EXPECT_EQ(catalog.deinstalls, 1);
    EXPECT_EQ(catalog.deinstalls32, 1);
    EXPECT_EQ(catalog.entries64.size(), 2u);
    EXPECT_EQ(catalog.entries32.size(), 1u);
    EXPECT_EQ(run_args({L"remove"}), exit_ok);
    EXPECT_TRUE(contains(output.out, L"nothing to remove"));
    EXPECT_EQ(catalog.deinstalls, 1);
}

TEST_F(InstallRun, ListMarksRiospEntries) {
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll"}), exit_ok);
    EXPECT_EQ(run_args({L"list"}), exit_ok);
    EXPECT_TRUE(contains(output.out, L"64-bit catalog"));
    EXPECT_TRUE(contains(output.out, L"32-bit catalog"));
    EXPECT_TRUE(contains(output.out, L"riosp: 4 of 6 entries"));
    EXPECT_TRUE(contains(output.out, L"riosp: 4 of 5 entries"));
    EXPECT_EQ(std::count(output.out.begin(), output.out.end(), L'*'), 4 + 4 + 2)
        << "four marked lines per catalog (TCP and UDP, IPv4 and IPv6) plus the legend of each";
}

TEST_F(InstallRun, OrderLast) {
    EXPECT_EQ(run_args({L"install", L"C:\\r\\riosp_provider.dll", L"--first"}), exit_ok);
    EXPECT_EQ(run_args({L"order", L"last"}), exit_ok);
    EXPECT_EQ(catalog.order64, (std::vector<DWORD>{1001, 1002, 1010, 1011, 1012, 1013}));
    EXPECT_EQ(catalog.order32, (std::vector<DWORD>{2001, 1010, 1011, 1012, 1013}));
}

TEST_F(InstallRun, OrderWithoutRiospFails) {
    EXPECT_EQ(run_args({L"order", L"first"}), exit_failed);
    EXPECT_TRUE(contains(output.err, L"not in the 64-bit catalog"));
    EXPECT_TRUE(catalog.order64.empty());
}

// ---------------------------------------------------------------------------------------------
// The real ws2_32 (Wine here): functions resolve without a loader failure; listing reads the
// catalog. Installing needs an elevated Windows and is not attempted.

TEST(InstallRealCatalog, ResolvesTheFunctionsEveryWs2_32Has) {
    const auto api = load_wsc_api();
    EXPECT_NE(api.install, nullptr);
    EXPECT_NE(api.deinstall, nullptr);
    EXPECT_NE(api.enum_protocols, nullptr);
    EXPECT_NE(api.write_order, nullptr);
}

TEST(InstallRealCatalog, ListsTheSystemTcpEntries) {
    WSADATA data;
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    Options options;
    options.command = Command::list;
    options.only_64 = true;
    Output output;
    EXPECT_EQ(run(options, load_wsc_api(), output), exit_ok)
        << std::string(output.err.begin(), output.err.end());
    EXPECT_TRUE(contains(output.out, L"IPv4"));
    EXPECT_TRUE(contains(output.out, L"stream"));
    WSACleanup();
}

} // namespace
