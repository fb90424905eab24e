// Provider loading and WSAStartup/WSACleanup (see loader.h).
#include "host/loader.h"

#include "host/catalog.h"
#include "host/handles.h"
#include "host/os.h"
#include "host/upcalls.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#ifndef RIOSP_DEFAULT_PROVIDER_PATH
#define RIOSP_DEFAULT_PROVIDER_PATH "libriosp_provider.so"
#endif
// The installed provider's path relative to the folder of the file holding the host's code,
// when that is an executable in bindir or a library in libdir (host/CMakeLists.txt).
#ifndef RIOSP_PROVIDER_FROM_BINDIR
#define RIOSP_PROVIDER_FROM_BINDIR ""
#endif
#ifndef RIOSP_PROVIDER_FROM_LIBDIR
#define RIOSP_PROVIDER_FROM_LIBDIR ""
#endif

namespace riosp::host {

namespace {

constexpr WORD winsock_version = MAKEWORD(2, 2);

struct State {
    std::mutex lock; // serialises startup/cleanup; API calls never take it
    int refcount = 0;
    void* module = nullptr;
    WSPPROC_TABLE table{};
    WSPDATA data{};
};

State& state() noexcept {
    static State s;
    return s;
}

// Published after a successful load, cleared before the provider is unloaded.
std::atomic<const WSPPROC_TABLE*> published{nullptr};

void fill_wsadata(LPWSADATA data) noexcept {
    std::memset(data, 0, sizeof *data);
    data->wVersion = winsock_version;
    data->wHighVersion = winsock_version;
    std::strncpy(data->szDescription, "riosp host (WinSock 2.0 over Registered I/O)",
                 WSADESCRIPTION_LEN);
    std::strncpy(data->szSystemStatus, "Running", WSASYS_STATUS_LEN);
}

bool version_at_least_22(WORD v) noexcept {
    return LOBYTE(v) > 2 || (LOBYTE(v) == 2 && HIBYTE(v) >= 2);
}

// The provider installed with the host, or empty: found relative to the file holding the
// host's code, so an installation works from whatever prefix it was installed to and never
// picks up a build tree's provider.
std::string installed_provider() {
    const os::CodeFile code = os::host_code_file();
    const std::size_t slash = code.path.rfind('/');
    const char* relative =
        code.executable ? RIOSP_PROVIDER_FROM_BINDIR : RIOSP_PROVIDER_FROM_LIBDIR;
    if (slash == std::string::npos || relative[0] == '\0')
        return {};
    std::string path = code.path.substr(0, slash + 1) + relative;
    return os::file_exists(path) ? path : std::string{};
}

// Loads the module and runs WSPStartup; on failure nothing stays loaded.
int load(State& s) noexcept {
    std::string error;
    const std::string path = provider_path();
    void* module = os::dl_open(path.c_str(), error);
    if (module == nullptr)
        return WSAEPROVIDERFAILEDINIT;
    auto* startup_fn = reinterpret_cast<LPWSPSTARTUP>(os::dl_sym(module, "WSPStartup"));
    if (startup_fn == nullptr) {
        (void)os::dl_close(module);
        return WSAEPROVIDERFAILEDINIT;
    }
    // The catalog an installer would have registered, from the provider itself if it says.
    load_catalog(
        reinterpret_cast<GetProtocolCatalogFn>(os::dl_sym(module, "riospGetProtocolCatalog")));
    WSPPROC_TABLE table{};
    WSPDATA data{};
    // The provider sees the entry that caused the load (ws2_32 passes the first one used); a
    // copy, because a provider may scribble on it.
    WSAPROTOCOL_INFOW info = catalog().front();
    const int rc = startup_fn(winsock_version, &data, &info, upcall_table(), &table);
    if (rc != 0) {
        (void)os::dl_close(module);
        return rc;
    }
    int failure = 0;
    if (!version_at_least_22(data.wVersion))
        failure = WSAEINVALIDPROVIDER;
    else if (null_entries(table) != 0)
        failure = WSAEINVALIDPROCTABLE;
    if (failure != 0) {
        // The provider started: balance its reference before unloading it.
        if (table.lpWSPCleanup != nullptr) {
            int ignored = 0;
            (void)table.lpWSPCleanup(&ignored);
        }
        (void)os::dl_close(module);
        return failure;
    }
    s.module = module;
    s.table = table;
    s.data = data;
    published.store(&s.table, std::memory_order_release);
    return 0;
}

} // namespace

int null_entries(const WSPPROC_TABLE& t) noexcept {
    static_assert(sizeof(WSPPROC_TABLE) == 30 * sizeof(void*), "WSPPROC_TABLE has 30 entries");
    const bool missing[] = {
        t.lpWSPAccept == nullptr,
        t.lpWSPAddressToString == nullptr,
        t.lpWSPAsyncSelect == nullptr,
        t.lpWSPBind == nullptr,
        t.lpWSPCancelBlockingCall == nullptr,
        t.lpWSPCleanup == nullptr,
        t.lpWSPCloseSocket == nullptr,
        t.lpWSPConnect == nullptr,
        t.lpWSPDuplicateSocket == nullptr,
        t.lpWSPEnumNetworkEvents == nullptr,
        t.lpWSPEventSelect == nullptr,
        t.lpWSPGetOverlappedResult == nullptr,
        t.lpWSPGetPeerName == nullptr,
        t.lpWSPGetSockName == nullptr,
        t.lpWSPGetSockOpt == nullptr,
        t.lpWSPGetQOSByName == nullptr,
        t.lpWSPIoctl == nullptr,
        t.lpWSPJoinLeaf == nullptr,
        t.lpWSPListen == nullptr,
        t.lpWSPRecv == nullptr,
        t.lpWSPRecvDisconnect == nullptr,
        t.lpWSPRecvFrom == nullptr,
        t.lpWSPSelect == nullptr,
        t.lpWSPSend == nullptr,
        t.lpWSPSendDisconnect == nullptr,
        t.lpWSPSendTo == nullptr,
        t.lpWSPSetSockOpt == nullptr,
        t.lpWSPShutdown == nullptr,
        t.lpWSPSocket == nullptr,
        t.lpWSPStringToAddress == nullptr,
    };
    static_assert(sizeof missing == 30, "every entry is checked");
    int n = 0;
    for (const bool m : missing)
        n += m ? 1 : 0;
    return n;
}

std::string provider_path() {
    if (const char* env = std::getenv("RIOSP_PROVIDER_PATH"); env != nullptr && env[0] != '\0')
        return env;
    std::string installed = installed_provider();
    return installed.empty() ? std::string(RIOSP_DEFAULT_PROVIDER_PATH) : installed;
}

int startup(WORD version_requested, LPWSADATA data) noexcept {
    if (data == nullptr)
        return WSAEFAULT;
    fill_wsadata(data); // Windows reports its versions even when it refuses the request
    // 2.2 is the only version served; a higher request is negotiated down to it.
    if (!version_at_least_22(version_requested))
        return WSAVERNOTSUPPORTED;
    State& s = state();
    std::lock_guard guard(s.lock);
    if (s.refcount == 0) {
        const int rc = load(s);
        if (rc != 0)
            return rc;
    }
    ++s.refcount;
    return 0;
}

int cleanup() noexcept {
    State& s = state();
    std::lock_guard guard(s.lock);
    if (s.refcount == 0)
        return WSANOTINITIALISED;
    if (--s.refcount > 0)
        return 0;
    published.store(nullptr, std::memory_order_release);
    int error = 0;
    const int rc = s.table.lpWSPCleanup(&error);
    // Handles the provider did not close carry contexts into a module about to go away.
    (void)socket_handles().close_all();
    (void)os::dl_close(s.module);
    s.module = nullptr;
    s.table = WSPPROC_TABLE{};
    return rc == 0 ? 0 : (error != 0 ? error : WSAEINVAL);
}

const WSPPROC_TABLE* provider() noexcept {
    return published.load(std::memory_order_acquire);
}

} // namespace riosp::host
