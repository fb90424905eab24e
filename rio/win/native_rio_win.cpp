// The native RIO probe (native_rio_win.h).
#include "native_rio_win.h"

#include "winsock_base_win.h"

#include <rio/rio_testing.h>
#include <riosp/wsa_codes.h>

#include <mswsock.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace riosp::rio::win {

NativeRioProbe probe_native_rio(bool forced_off) noexcept {
    NativeRioProbe probe;
    probe.forced_off = forced_off;
    if (forced_off)
        return probe;
    if (int err = net::ensure_startup(); err != 0) {
        probe.step = "WSAStartup";
        probe.error = err;
        return probe;
    }
    SOCKET s =
        WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP,
                   const_cast<WSAPROTOCOL_INFOW*>(net::base_provider(AF_INET, SOCK_STREAM)), 0,
                   WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        probe.step = "WSASocketW";
        probe.error = WSAGetLastError();
        return probe;
    }
    GUID id = WSAID_MULTIPLE_RIO;
    RIO_EXTENSION_FUNCTION_TABLE table{};
    table.cbSize = sizeof table;
    DWORD bytes = 0;
    const int rc = WSAIoctl(s, SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &table,
                            sizeof table, &bytes, nullptr, nullptr);
    const int err = rc == SOCKET_ERROR ? WSAGetLastError() : 0;
    closesocket(s);
    probe.step = "WSAIoctl";
    if (rc == SOCKET_ERROR) {
        probe.error = err;
        return probe;
    }
    // A table without every function is as good as none.
    const bool complete = table.RIOReceive && table.RIOReceiveEx && table.RIOSend &&
                          table.RIOSendEx && table.RIOCloseCompletionQueue &&
                          table.RIOCreateCompletionQueue && table.RIOCreateRequestQueue &&
                          table.RIODequeueCompletion && table.RIODeregisterBuffer &&
                          table.RIONotify && table.RIORegisterBuffer &&
                          table.RIOResizeCompletionQueue && table.RIOResizeRequestQueue;
    if (!complete) {
        probe.error = WSAEOPNOTSUPP;
        return probe;
    }
    probe.step = "";
    probe.available = true;
    probe.table = table;
    return probe;
}

const NativeRioProbe& native_rio() noexcept {
    static const NativeRioProbe probe = [] {
        const char* forced = std::getenv("RIOSP_RIO_BACKEND");
        return probe_native_rio(forced != nullptr && std::strcmp(forced, "overlapped") == 0);
    }();
    return probe;
}

namespace {
// Set before the first native CQ exists (tests install it at start-up); atomic all the same,
// since the port's thread reads it too.
std::atomic<const RIO_EXTENSION_FUNCTION_TABLE*> g_double{nullptr};
std::atomic<CloseRequestQueue> g_double_close_rq{nullptr};
// The double stands in only if the system has no table: decided at first use, not when it is
// installed (a DLL's static initializer runs under the loader lock, where the probe's Winsock
// calls must not be made).
std::atomic<bool> g_double_where_missing{false};

const RIO_EXTENSION_FUNCTION_TABLE* active_double() noexcept {
    const auto* table = g_double.load(std::memory_order_acquire);
    if (table != nullptr && g_double_where_missing.load(std::memory_order_acquire) &&
        native_rio().available)
        return nullptr;
    return table;
}
} // namespace

const RIO_EXTENSION_FUNCTION_TABLE* native_rio_table() noexcept {
    if (const auto* table = active_double(); table != nullptr)
        return table;
    const NativeRioProbe& probe = native_rio();
    return probe.available ? &probe.table : nullptr;
}

bool native_rio_is_double() noexcept {
    return active_double() != nullptr;
}

CloseRequestQueue native_rio_close_request_queue() noexcept {
    return active_double() != nullptr ? g_double_close_rq.load(std::memory_order_acquire) : nullptr;
}

std::string describe(const NativeRioProbe& probe) {
    if (probe.available)
        return "riosp: rio backend native RIO (WSAID_MULTIPLE_RIO function table)";
    if (probe.forced_off)
        return "riosp: rio backend overlapped (forced by RIOSP_RIO_BACKEND=overlapped)";
    std::string line = "riosp: rio backend overlapped (native RIO unavailable: ";
    if (std::strcmp(probe.step, "WSAIoctl") == 0)
        line += "WSAIoctl(SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, WSAID_MULTIPLE_RIO)";
    else
        line += probe.step;
    line += " failed with " + std::to_string(probe.error);
    if (const std::string_view name = riosp::wsa::known_name(probe.error); !name.empty()) {
        line += ' ';
        line += name;
    }
    if (probe.error == WSAEOPNOTSUPP)
        line += " - Wine, or Windows before 8 / Server 2012";
    line += ")";
    return line;
}

} // namespace riosp::rio::win

namespace riosp::rio::testing {
namespace {
void install(const RIO_EXTENSION_FUNCTION_TABLE* table,
             void (*close_request_queue)(RIO_RQ) noexcept, bool where_missing) noexcept {
    win::g_double_close_rq.store(table != nullptr ? close_request_queue : nullptr,
                                 std::memory_order_release);
    win::g_double_where_missing.store(where_missing, std::memory_order_release);
    win::g_double.store(table, std::memory_order_release);
}
} // namespace

void use_native_rio_table(const RIO_EXTENSION_FUNCTION_TABLE* table,
                          void (*close_request_queue)(RIO_RQ) noexcept) noexcept {
    install(table, close_request_queue, false);
}

void use_native_rio_table_where_missing(const RIO_EXTENSION_FUNCTION_TABLE* table,
                                        void (*close_request_queue)(RIO_RQ) noexcept) noexcept {
    install(table, close_request_queue, true);
}
} // namespace riosp::rio::testing
