// Loading the provider: version negotiation, reference counting, WSANOTINITIALISED, proc
// table validation and unloading.
#include "host_test_support.h"

#include "host/loader.h"

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>

namespace {

using riosp::host::testing::cleanup_all;
using riosp::host::testing::use_fake_provider;

class HostLoader : public ::testing::Test {
protected:
    void SetUp() override { use_fake_provider(); }
    void TearDown() override { cleanup_all(); }
};

bool fake_is_loaded() {
    void* h = ::dlopen(RIOSP_FAKE_PROVIDER_PATH, RTLD_NOW | RTLD_NOLOAD);
    if (h != nullptr)
        ::dlclose(h);
    return h != nullptr;
}

TEST_F(HostLoader, RequestBelow22FailsWithVerNotSupportedAndLeavesWinsockUninitialised) {
    for (const WORD v : {MAKEWORD(1, 1), MAKEWORD(2, 0), MAKEWORD(2, 1), MAKEWORD(0, 9)}) {
        WSADATA data{};
        EXPECT_EQ(WSAStartup(v, &data), WSAVERNOTSUPPORTED) << std::hex << v;
        EXPECT_EQ(data.wHighVersion, MAKEWORD(2, 2)); // tells the caller what would work
    }
    EXPECT_EQ(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    EXPECT_FALSE(fake_is_loaded());
}

TEST_F(HostLoader, Request22ReportsVersion22AndDescription) {
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(data.wVersion, MAKEWORD(2, 2));
    EXPECT_EQ(data.wHighVersion, MAKEWORD(2, 2));
    EXPECT_NE(std::strstr(data.szDescription, "riosp"), nullptr);
    EXPECT_STREQ(data.szSystemStatus, "Running");
}

TEST_F(HostLoader, RequestAbove22IsNegotiatedDownTo22) {
    for (const WORD v : {MAKEWORD(2, 3), MAKEWORD(3, 0), MAKEWORD(255, 255)}) {
        WSADATA data{};
        ASSERT_EQ(WSAStartup(v, &data), 0) << std::hex << v;
        EXPECT_EQ(data.wVersion, MAKEWORD(2, 2));
    }
}

TEST_F(HostLoader, NullWsaDataFailsWithFault) {
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), nullptr), WSAEFAULT);
    EXPECT_FALSE(fake_is_loaded());
}

TEST_F(HostLoader, CallsBeforeStartupFailWithNotInitialised) {
    WSASetLastError(0);
    EXPECT_EQ(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError(0);
    EXPECT_EQ(closesocket(4 << 18), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError(0);
    char byte = 0;
    EXPECT_EQ(send(4 << 18, &byte, 1, 0), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError(0);
    fd_set reads{};
    FD_SET(SOCKET{4 << 18}, &reads);
    EXPECT_EQ(select(0, &reads, nullptr, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError(0);
    EXPECT_EQ(WSACreateEvent(), WSA_INVALID_EVENT);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError(0);
    WSAEVENT e = reinterpret_cast<WSAEVENT>(1);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    WSASetLastError(0);
    EXPECT_EQ(WSACleanup(), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
}

TEST_F(HostLoader, ProviderStaysLoadedUntilTheLastCleanup) {
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(WSACleanup(), 0);
    EXPECT_EQ(WSACleanup(), 0);
    const SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_NE(s, INVALID_SOCKET) << "one reference left: Winsock still works";
    EXPECT_EQ(closesocket(s), 0);
    EXPECT_EQ(WSACleanup(), 0);
    EXPECT_EQ(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    EXPECT_EQ(WSACleanup(), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
}

TEST_F(HostLoader, ProviderIsStartedOnceAndCleanedUpOnceAcrossNestedStartups) {
    // Hold our own reference to the module so its counters outlive the host's dlclose.
    void* self = ::dlopen(RIOSP_FAKE_PROVIDER_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(self, nullptr);
    auto startups = reinterpret_cast<int (*)()>(::dlsym(self, "riosp_fake_startup_calls"));
    auto cleanups = reinterpret_cast<int (*)()>(::dlsym(self, "riosp_fake_cleanup_calls"));
    ASSERT_NE(startups, nullptr);
    ASSERT_NE(cleanups, nullptr);
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(startups(), 1);
    EXPECT_EQ(WSACleanup(), 0);
    EXPECT_EQ(cleanups(), 0);
    EXPECT_EQ(WSACleanup(), 0);
    EXPECT_EQ(cleanups(), 1);
    ::dlclose(self);
}

TEST_F(HostLoader, ConcurrentStartupsAndCleanupsLoadAndUnloadTheProviderOnce) {
    void* self = ::dlopen(RIOSP_FAKE_PROVIDER_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(self, nullptr);
    auto startups = reinterpret_cast<int (*)()>(::dlsym(self, "riosp_fake_startup_calls"));
    auto cleanups = reinterpret_cast<int (*)()>(::dlsym(self, "riosp_fake_cleanup_calls"));
    constexpr int threads_n = 8;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < threads_n; ++i)
        threads.emplace_back([&] {
            WSADATA data{};
            if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
                failures.fetch_add(1);
        });
    for (auto& t : threads)
        t.join();
    threads.clear();
    EXPECT_EQ(startups(), 1);
    for (int i = 0; i < threads_n; ++i)
        threads.emplace_back([&] {
            if (WSACleanup() != 0)
                failures.fetch_add(1);
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(cleanups(), 1);
    EXPECT_EQ(WSACleanup(), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    ::dlclose(self);
}

TEST_F(HostLoader, LastCleanupUnloadsTheProvider) {
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_TRUE(fake_is_loaded());
    ASSERT_EQ(WSACleanup(), 0);
    EXPECT_FALSE(fake_is_loaded());
}

TEST_F(HostLoader, StartupAfterFullCleanupLoadsTheProviderAgain) {
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    ASSERT_EQ(WSACleanup(), 0);
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    const SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_NE(s, INVALID_SOCKET);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostLoader, MissingProviderModuleFailsWithProviderFailedInit) {
    ::setenv("RIOSP_PROVIDER_PATH", "/nonexistent/libriosp_provider.so", 1);
    WSADATA data{};
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), &data), WSAEPROVIDERFAILEDINIT);
    EXPECT_EQ(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
}

TEST_F(HostLoader, ModuleWithoutWSPStartupFailsWithProviderFailedInit) {
    ::setenv("RIOSP_PROVIDER_PATH", "libc.so.6", 1); // loads fine, exports no WSPStartup
    WSADATA data{};
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), &data), WSAEPROVIDERFAILEDINIT);
}

TEST_F(HostLoader, ProcTableWithNullEntryFailsWithInvalidProcTableAndUnloads) {
    use_fake_provider("null_entry");
    WSADATA data{};
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), &data), WSAEINVALIDPROCTABLE);
    EXPECT_FALSE(fake_is_loaded());
    EXPECT_EQ(socket(AF_INET, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
}

TEST_F(HostLoader, NullEntryCountCoversAll30Entries) {
    WSPPROC_TABLE table{};
    EXPECT_EQ(riosp::host::null_entries(table), 30);
}

TEST_F(HostLoader, ProviderReportingVersionBelow22FailsWithInvalidProvider) {
    use_fake_provider("old_version");
    WSADATA data{};
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), &data), WSAEINVALIDPROVIDER);
    EXPECT_FALSE(fake_is_loaded());
}

TEST_F(HostLoader, WSPStartupErrorIsReturnedToTheCaller) {
    use_fake_provider("fail");
    WSADATA data{};
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), &data), WSASYSNOTREADY);
    EXPECT_FALSE(fake_is_loaded());
}

TEST_F(HostLoader, ProviderPathComesFromTheEnvironmentElseTheBuildDefault) {
    EXPECT_EQ(riosp::host::provider_path(), RIOSP_FAKE_PROVIDER_PATH);
    ::unsetenv("RIOSP_PROVIDER_PATH");
    EXPECT_NE(riosp::host::provider_path().find("libriosp_provider"), std::string::npos);
}

} // namespace
