// The provider's SPI surface as ws2_32 sees it: WSPStartup's version negotiation and table, the
// catalog entries, and the entries riosp does not serve answering their documented errors.
#include <riosp/spi.h>

#include <catalog.h>
#include <wsp.h>

#include <gtest/gtest.h>

#include <span>

#ifndef _WIN32
#include <dlfcn.h>
#endif

#include <string>

namespace riosp::provider {
namespace {

using GetCatalogFn = int (*)(LPWSAPROTOCOL_INFOW, LPINT);

// The provider module loaded as ws2_32 loads it (Windows: LoadLibrary of riosp_provider.dll;
// Linux: dlopen of libriosp_provider.so).
struct Module {
#ifdef _WIN32
    Module() : handle(LoadLibraryA(RIOSP_PROVIDER_PATH)) {}
    ~Module() {
        if (handle != nullptr)
            FreeLibrary(static_cast<HMODULE>(handle));
    }
    template <typename F> F sym(const char* name) const {
        return reinterpret_cast<F>(
            reinterpret_cast<void*>(GetProcAddress(static_cast<HMODULE>(handle), name)));
    }
    static std::string error() {
        return "LoadLibraryA: " + std::to_string(GetLastError());
    }
#else
    Module() : handle(dlopen(RIOSP_PROVIDER_PATH, RTLD_NOW | RTLD_LOCAL)) {}
    ~Module() {
        if (handle != nullptr)
            dlclose(handle);
    }
    template <typename F> F sym(const char* name) const {
        return reinterpret_cast<F>(dlsym(handle, name));
    }
    static std::string error() {
        return dlerror();
    }
#endif
    void* handle = nullptr;
};

void set_env(const char* name, const char* value) {
#ifdef _WIN32
    _putenv_s(name, value); // "" removes it
#else
    if (*value == '\0')
        unsetenv(name);
    else
        setenv(name, value, 1);
#endif
}

TEST(ProviderSpiTable, EveryOneOfTheThirtyEntriesIsFilled) {
    WSPPROC_TABLE t = proc_table();
    auto* entries = reinterpret_cast<void**>(&t);
    static_assert(sizeof t == 30 * sizeof(void*));
    for (int i = 0; i < 30; ++i)
        EXPECT_NE(entries[i], nullptr) << "entry " << i;
}

TEST(ProviderSpiTable, StartupRefusesVersionsBelowTwoPointTwo) {
    Module m;
    ASSERT_NE(m.handle, nullptr) << Module::error();
    auto startup = m.sym<LPWSPSTARTUP>("WSPStartup");
    ASSERT_NE(startup, nullptr) << "WSPStartup is exported with C linkage";
    WSPDATA data{};
    WSAPROTOCOL_INFOW info = protocol_catalog()[0];
    WSPPROC_TABLE table{};
    WSPUPCALLTABLE upcalls{};
    EXPECT_EQ(startup(MAKEWORD(1, 1), &data, &info, upcalls, &table), WSAVERNOTSUPPORTED);
    EXPECT_EQ(startup(MAKEWORD(2, 1), &data, &info, upcalls, &table), WSAVERNOTSUPPORTED);
    EXPECT_EQ(table.lpWSPSocket, nullptr) << "a refused startup fills nothing";
}

TEST(ProviderSpiTable, StartupRefusesAForeignCatalogEntry) {
    Module m;
    auto startup = m.sym<LPWSPSTARTUP>("WSPStartup");
    ASSERT_NE(startup, nullptr);
    WSPDATA data{};
    WSAPROTOCOL_INFOW info = protocol_catalog()[0];
    info.ProviderId.Data1 ^= 1;
    WSPPROC_TABLE table{};
    WSPUPCALLTABLE upcalls{};
    EXPECT_EQ(startup(MAKEWORD(2, 2), &data, &info, upcalls, &table), WSAEINVALIDPROVIDER);
}

TEST(ProviderCatalog, ExportsTcpAndUdpOverIpv4AndIpv6WithoutDisconnectData) {
    Module m;
    auto get = m.sym<GetCatalogFn>("riospGetProtocolCatalog");
    ASSERT_NE(get, nullptr);
    int count = 0;
    EXPECT_EQ(get(nullptr, &count), WSAENOBUFS);
    ASSERT_EQ(count, 4);
    WSAPROTOCOL_INFOW entries[4]{};
    ASSERT_EQ(get(entries, &count), 0);
    EXPECT_EQ(entries[0].iAddressFamily, AF_INET);
    EXPECT_EQ(entries[1].iAddressFamily, AF_INET6);
    for (const auto& e : std::span(entries + 2, 2)) {
        EXPECT_TRUE(e.ProviderId == provider_guid);
        EXPECT_EQ(e.iSocketType, SOCK_DGRAM);
        EXPECT_EQ(e.iProtocol, IPPROTO_UDP);
        EXPECT_EQ(e.dwServiceFlags1 & XP1_DISCONNECT_DATA, 0u) << "UDP has none";
        EXPECT_NE(e.dwServiceFlags1 & XP1_CONNECTIONLESS, 0u);
        EXPECT_NE(e.dwServiceFlags1 & XP1_MESSAGE_ORIENTED, 0u);
        EXPECT_EQ(e.dwServiceFlags1 & XP1_PARTIAL_MESSAGE, 0u) << "cut datagrams: WSAEMSGSIZE";
        EXPECT_EQ(e.dwMessageSize, 65467u);
    }
    EXPECT_EQ(entries[2].iAddressFamily, AF_INET);
    EXPECT_EQ(entries[3].iAddressFamily, AF_INET6);
    for (const auto& e : std::span(entries, 2)) {
        EXPECT_TRUE(e.ProviderId == provider_guid);
        EXPECT_EQ(e.iSocketType, SOCK_STREAM);
        EXPECT_EQ(e.iProtocol, IPPROTO_TCP);
        EXPECT_EQ(e.dwServiceFlags1 & XP1_DISCONNECT_DATA, 0u) << "plain TCP has none";
        EXPECT_NE(e.dwServiceFlags1 & XP1_GRACEFUL_CLOSE, 0u);
        EXPECT_NE(e.dwServiceFlags1 & XP1_GUARANTEED_ORDER, 0u);
        EXPECT_EQ(e.ProtocolChain.ChainLen, BASE_PROTOCOL);
        EXPECT_EQ(e.szProtocol[0], u'r');
    }
}

TEST(ProviderUnsupportedEntries, AnswerTheirDocumentedErrors) {
    WSPPROC_TABLE t = proc_table();
    int err = 0;
    EXPECT_EQ(t.lpWSPAsyncSelect(1, nullptr, 0, FD_READ, &err), SOCKET_ERROR);
    EXPECT_EQ(err, WSAEOPNOTSUPP);
    err = 0;
    EXPECT_EQ(t.lpWSPCancelBlockingCall(&err), SOCKET_ERROR);
    EXPECT_EQ(err, WSAEOPNOTSUPP);
    err = 0;
    WSAPROTOCOL_INFOW info{};
    EXPECT_EQ(t.lpWSPDuplicateSocket(1, 42, &info, &err), SOCKET_ERROR);
    EXPECT_EQ(err, WSAEOPNOTSUPP);
    err = 0;
    EXPECT_EQ(t.lpWSPGetQOSByName(1, nullptr, nullptr, &err), FALSE);
    EXPECT_EQ(err, WSAEOPNOTSUPP);
    err = 0;
    sockaddr_in a{};
    EXPECT_EQ(t.lpWSPJoinLeaf(1, reinterpret_cast<sockaddr*>(&a), sizeof a, nullptr, nullptr,
                              nullptr, nullptr, 0, &err),
              INVALID_SOCKET);
    EXPECT_EQ(err, WSAEOPNOTSUPP);
}

} // namespace
} // namespace riosp::provider

#include <worker.h>

#include <cstdlib>

namespace riosp::provider {
namespace {

TEST(ProviderBusyPoll, IsOffByDefaultAndSetFromTheEnvironment) {
    set_env("RIOSP_BUSY_POLL", "");
    set_env("RIOSP_BUSY_POLL_US", "");
    EXPECT_EQ(WorkerPool::busy_poll_budget().count(), 0);
    set_env("RIOSP_BUSY_POLL", "1");
    EXPECT_EQ(WorkerPool::busy_poll_budget(), WorkerPool::default_spin);
    set_env("RIOSP_BUSY_POLL_US", "750");
    EXPECT_EQ(WorkerPool::busy_poll_budget().count(), 750) << "an explicit budget wins";
    set_env("RIOSP_BUSY_POLL_US", "0");
    EXPECT_EQ(WorkerPool::busy_poll_budget().count(), 0) << "0 turns it off";
    set_env("RIOSP_BUSY_POLL", "");
    set_env("RIOSP_BUSY_POLL_US", "");
}

TEST(ProviderWorkerIdle, BoundIsFiftyMillisecondsUnlessTheEnvironmentSetsAValidOne) {
    set_env("RIOSP_WORKER_IDLE_MS", "");
    EXPECT_EQ(WorkerPool::idle_wait_ms(), 50);
    set_env("RIOSP_WORKER_IDLE_MS", "3600000");
    EXPECT_EQ(WorkerPool::idle_wait_ms(), 3'600'000);
    for (const char* bad : {"0", "-5", "3600001", "soon"}) {
        set_env("RIOSP_WORKER_IDLE_MS", bad);
        EXPECT_EQ(WorkerPool::idle_wait_ms(), 50) << bad;
    }
    set_env("RIOSP_WORKER_IDLE_MS", "");
}

} // namespace
} // namespace riosp::provider
