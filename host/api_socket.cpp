// Socket life cycle: creation (with the catalog lookup ws2_32 does), bind, listen, accept,
// connect, the disconnects, shutdown and close.
#include "host/api_common.h"
#include "host/catalog.h"

#include <riosp/ws.h>

namespace riosp::ws {

using host::call_int;
using host::call_socket;

SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                  DWORD dwFlags) noexcept {
    return call_socket([&](const WSPPROC_TABLE& t, LPINT err) -> SOCKET {
        // The provider gets its own copy of the entry, as from ws2_32's catalog.
        WSAPROTOCOL_INFOW info{};
        if (lpProtocolInfo != nullptr) {
            // Protocol info names its catalog entry; one this host never registered has no
            // provider to go to.
            if (!host::catalog_has(lpProtocolInfo->dwCatalogEntryId)) {
                *err = WSAEINVAL;
                return INVALID_SOCKET;
            }
            info = *lpProtocolInfo;
        } else {
            const WSAPROTOCOL_INFOW* entry = host::find_catalog_entry(af, type, protocol, *err);
            if (entry == nullptr)
                return INVALID_SOCKET;
            info = *entry;
        }
        return t.lpWSPSocket(af, type, protocol, &info, g, dwFlags, err);
    });
}

SOCKET socket(int af, int type, int protocol) noexcept {
    return WSASocketW(af, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED);
}

int bind(SOCKET s, const sockaddr* name, int namelen) noexcept {
    return call_int(
        [&](const WSPPROC_TABLE& t, LPINT err) { return t.lpWSPBind(s, name, namelen, err); });
}

int listen(SOCKET s, int backlog) noexcept {
    return call_int(
        [&](const WSPPROC_TABLE& t, LPINT err) { return t.lpWSPListen(s, backlog, err); });
}

SOCKET WSAAccept(SOCKET s, sockaddr* addr, LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                 DWORD_PTR dwCallbackData) noexcept {
    return call_socket([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPAccept(s, addr, addrlen, lpfnCondition, dwCallbackData, err);
    });
}

SOCKET accept(SOCKET s, sockaddr* addr, int* addrlen) noexcept {
    return ws::WSAAccept(s, addr, addrlen, nullptr, 0);
}

int WSAConnect(SOCKET s, const sockaddr* name, int namelen, LPWSABUF lpCallerData,
               LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPConnect(s, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS, err);
    });
}

int connect(SOCKET s, const sockaddr* name, int namelen) noexcept {
    return ws::WSAConnect(s, name, namelen, nullptr, nullptr, nullptr, nullptr);
}

int shutdown(SOCKET s, int how) noexcept {
    return call_int(
        [&](const WSPPROC_TABLE& t, LPINT err) { return t.lpWSPShutdown(s, how, err); });
}

int WSASendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPSendDisconnect(s, lpOutboundDisconnectData, err);
    });
}

int WSARecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPRecvDisconnect(s, lpInboundDisconnectData, err);
    });
}

int closesocket(SOCKET s) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) { return t.lpWSPCloseSocket(s, err); });
}

} // namespace riosp::ws
