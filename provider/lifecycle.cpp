// Provider lifecycle: WSPStartup's work (version negotiation, the procedure table, the reference
// count that starts the worker pool on the first startup), WSPCleanup (the last one stops it,
// closing every socket), and handle lookup. startup.cpp only exports it.
#include "caller_wait.h"
#include "catalog.h"
#include "completion.h"
#include "data_path.h"
#include "provider_state.h"
#include "socket.h"
#include "test_hooks.h"
#include "upcalls.h"
#include "watcher.h"
#include "worker.h"
#include "wsp.h"

#include <cstdlib>
#include <mutex>
#include <thread>

namespace riosp::provider {
namespace {

std::mutex g_startup_mutex;
int g_refcount = 0;

constexpr char16_t description[] = u"riosp: Registered I/O TCP base service provider";

unsigned configured_workers() noexcept {
    if (const char* env = std::getenv("RIOSP_WORKERS")) {
        int n = std::atoi(env);
        if (n > 0 && n <= 64)
            return static_cast<unsigned>(n);
    }
    return 0; // the pool picks the core count
}

std::uint32_t configured_max_sockets() noexcept {
    if (const char* env = std::getenv("RIOSP_MAX_SOCKETS")) {
        const long long n = std::atoll(env);
        if (n >= 1 && n <= SocketTable::capacity)
            return static_cast<std::uint32_t>(n);
    }
    return SocketTable::capacity;
}

} // namespace

namespace detail {
SocketTable socket_table;
WorkerPool worker_pool;
std::atomic<bool> started{false};
} // namespace detail

namespace {

// New sockets between their look at `started` and the table (SocketCreation).
std::atomic<int> g_creating{0};

} // namespace

SocketRef lookup(SOCKET s, LPINT err) noexcept {
    if (!started()) {
        *err = WSANOTINITIALISED;
        return {};
    }
    DWORD_PTR context = 0;
    int upcall_err = 0;
    Socket* sock = nullptr;
    if (upcalls().lpWPUQuerySocketHandleContext(s, &context, &upcall_err) == 0)
        sock = socket_table().pin(context);
    if (sock == nullptr) {
        // A handle the last WSPCleanup closed under this call: the provider is stopping.
        *err = started() ? WSAENOTSOCK : WSANOTINITIALISED;
        return {};
    }
    RIOSP_TEST_HOOK(lookup, s);
    return SocketRef(sock);
}

bool closed_meanwhile(const Socket& s, LPINT err) noexcept {
    if (SocketTable::is_live(s))
        return false;
    fail(err, WSAENOTSOCK);
    return true;
}

SocketCreation::SocketCreation() noexcept {
    g_creating.fetch_add(1, std::memory_order_seq_cst);
    admitted_ = detail::started.load(std::memory_order_seq_cst);
}

SocketCreation::~SocketCreation() {
    g_creating.fetch_sub(1, std::memory_order_release);
}

int WSPAPI WSPCleanup(LPINT lpErrno) {
    std::lock_guard lock(g_startup_mutex);
    if (g_refcount == 0)
        return fail(lpErrno, WSANOTINITIALISED);
    if (--g_refcount > 0)
        return 0;
    // Last cleanup (docs/threading.md, "Startup and the last WSPCleanup"). From here on lookups
    // fail and no new socket is made; the ones being made are waited for, so that the closes
    // below find them.
    detail::started.store(false, std::memory_order_seq_cst);
    while (g_creating.load(std::memory_order_seq_cst) != 0)
        std::this_thread::yield();
    // Abort every socket: blocked calls are interrupted, waiting operations fail, lingering
    // closes wake up.
    close_all_sockets();
    // Every call still holding a socket leaves (with WSAEINTR or WSAENETDOWN) before the
    // watcher and the workers go, so none uses them after.
    wait_until_no_calls_inside(std::chrono::seconds(5));
    watcher().stop();
    worker_pool().stop();
    return 0;
}

// WSPStartup's work (exported by startup.cpp).
int startup(WORD wVersionRequested, LPWSPDATA lpWSPData, LPWSAPROTOCOL_INFOW lpProtocolInfo,
            const WSPUPCALLTABLE& UpcallTable, LPWSPPROC_TABLE lpProcTable) noexcept {
    // Winsock 2.2 is the only SPI version there is; older requests cannot be served.
    const BYTE major = LOBYTE(wVersionRequested);
    const BYTE minor = HIBYTE(wVersionRequested);
    if (major < 2 || (major == 2 && minor < 2))
        return WSAVERNOTSUPPORTED;
    if (lpWSPData == nullptr || lpProcTable == nullptr || lpProtocolInfo == nullptr)
        return WSAEFAULT;
    if (!(lpProtocolInfo->ProviderId == provider_guid))
        return WSAEINVALIDPROVIDER;
    if (UpcallTable.lpWPUCreateSocketHandle == nullptr ||
        UpcallTable.lpWPUQuerySocketHandleContext == nullptr ||
        UpcallTable.lpWPUCloseSocketHandle == nullptr)
        return WSAEINVALIDPROCTABLE;

    std::lock_guard lock(g_startup_mutex);
    if (g_refcount == 0) {
        set_upcalls(UpcallTable);
        socket_table().set_limit(configured_max_sockets());
        if (int err = worker_pool().start(configured_workers()))
            return err == WSAENETDOWN ? WSASYSNOTREADY : err;
        if (int err = watcher().start()) {
            worker_pool().stop();
            return err;
        }
        detail::started.store(true, std::memory_order_release);
    }
    ++g_refcount;

    lpWSPData->wVersion = MAKEWORD(2, 2);
    lpWSPData->wHighVersion = MAKEWORD(2, 2);
    std::size_t i = 0;
    for (; i < WSPDESCRIPTION_LEN && description[i] != 0; ++i)
        lpWSPData->szDescription[i] = description[i];
    lpWSPData->szDescription[i] = 0;
    *lpProcTable = proc_table();
    return 0;
}

} // namespace riosp::provider
