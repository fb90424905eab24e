// The provider module's exports: WSPStartup (what ws2_32 or riosp's Linux host calls) and
// riospGetProtocolCatalog (the entries an installer or the host registers).
#include "catalog.h"
#include "heap.h"
#include "provider_state.h"

using namespace riosp::provider;

extern "C" RIOSP_EXPORT int WSPAPI WSPStartup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                                              LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                              WSPUPCALLTABLE UpcallTable,
                                              LPWSPPROC_TABLE lpProcTable) {
    return startup(wVersionRequested, lpWSPData, lpProtocolInfo, UpcallTable, lpProcTable);
}

// The protocol entries riosp serves, for hosts and installers: copies up to *count entries
// into `out` and sets *count to the number available. Returns 0, or WSAENOBUFS when `out` was
// too small (nothing copied).
extern "C" RIOSP_EXPORT int riospGetProtocolCatalog(LPWSAPROTOCOL_INFOW out, LPINT count) {
    auto entries = protocol_catalog();
    if (count == nullptr)
        return WSAEFAULT;
    const int available = static_cast<int>(entries.size());
    if (out == nullptr || *count < available) {
        *count = available;
        return WSAENOBUFS;
    }
    for (int i = 0; i < available; ++i)
        out[i] = entries[static_cast<std::size_t>(i)];
    *count = available;
    return 0;
}

// Diagnostics for tests and tools: provider sockets acquired and not yet recycled (a closed
// socket stays counted until its last RIO request completed and its slot was recycled).
extern "C" RIOSP_EXPORT int riospSocketsInUse() {
    return riosp::provider::socket_table().in_use();
}

// mimalloc's statistics for the provider's own allocations (socket slabs, registered regions):
// each line of the report goes to `out`. tools/riosp-load --allocator-stats prints them.
extern "C" RIOSP_EXPORT void riospPrintAllocatorStats(void (*out)(const char* line, void* arg),
                                                      void* arg) {
    riosp::provider::heap::print_stats(out, arg);
}
