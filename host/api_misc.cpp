// The rest of the Winsock 2 surface that maps onto WSPPROC_TABLE entries (address strings,
// duplication, multipoint, QOS) and the catalog query WSAEnumProtocolsW, so that every one of
// the 30 provider entries is reachable through the API.
#include "host/api_common.h"
#include "host/catalog.h"

#include <riosp/ws.h>

#include <cstring>

namespace riosp::ws {

using host::call_int;

namespace {

// The catalog entry for an address family, as ws2_32 picks it for the string conversions.
const WSAPROTOCOL_INFOW* entry_for_family(int af, LPINT err) noexcept {
    for (const auto& e : host::catalog())
        if (e.iAddressFamily == af)
            return &e;
    *err = WSAEINVAL;
    return nullptr;
}

} // namespace

int WSAEnumProtocolsW(LPINT lpiProtocols, LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                      LPDWORD lpdwBufferLength) noexcept {
    return call_int([&](const WSPPROC_TABLE&, LPINT err) {
        if (lpdwBufferLength == nullptr) {
            *err = WSAEFAULT;
            return SOCKET_ERROR;
        }
        // lpiProtocols is a zero-terminated list of protocol numbers to keep (NULL: all).
        const auto wanted = [&](const WSAPROTOCOL_INFOW& e) {
            if (lpiProtocols == nullptr)
                return true;
            for (const INT* p = lpiProtocols; *p != 0; ++p)
                if (*p == e.iProtocol)
                    return true;
            return false;
        };
        DWORD count = 0;
        for (const auto& e : host::catalog())
            count += wanted(e) ? 1 : 0;
        const DWORD needed = count * static_cast<DWORD>(sizeof(WSAPROTOCOL_INFOW));
        if (count > 0 && (lpProtocolBuffer == nullptr || *lpdwBufferLength < needed)) {
            *lpdwBufferLength = needed;
            *err = WSAENOBUFS;
            return SOCKET_ERROR;
        }
        DWORD i = 0;
        for (const auto& e : host::catalog())
            if (wanted(e))
                lpProtocolBuffer[i++] = e;
        *lpdwBufferLength = needed;
        return static_cast<int>(count);
    });
}

INT WSAAddressToStringW(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                        LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                        LPDWORD lpdwAddressStringLength) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        if (lpsaAddress == nullptr || dwAddressLength < sizeof(ADDRESS_FAMILY)) {
            *err = WSAEFAULT;
            return SOCKET_ERROR;
        }
        WSAPROTOCOL_INFOW info{};
        if (lpProtocolInfo != nullptr) {
            info = *lpProtocolInfo;
        } else {
            const WSAPROTOCOL_INFOW* e = entry_for_family(lpsaAddress->sa_family, err);
            if (e == nullptr)
                return SOCKET_ERROR;
            info = *e;
        }
        return t.lpWSPAddressToString(lpsaAddress, dwAddressLength, &info, lpszAddressString,
                                      lpdwAddressStringLength, err);
    });
}

INT WSAStringToAddressW(LPWSTR AddressString, INT AddressFamily, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                        LPSOCKADDR lpAddress, LPINT lpAddressLength) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        WSAPROTOCOL_INFOW info{};
        if (lpProtocolInfo != nullptr) {
            info = *lpProtocolInfo;
        } else {
            const WSAPROTOCOL_INFOW* e = entry_for_family(AddressFamily, err);
            if (e == nullptr)
                return SOCKET_ERROR;
            info = *e;
        }
        return t.lpWSPStringToAddress(AddressString, AddressFamily, &info, lpAddress,
                                      lpAddressLength, err);
    });
}

int WSADuplicateSocketW(SOCKET s, DWORD dwProcessId, LPWSAPROTOCOL_INFOW lpProtocolInfo) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPDuplicateSocket(s, dwProcessId, lpProtocolInfo, err);
    });
}

SOCKET WSAJoinLeaf(SOCKET s, const sockaddr* name, int namelen, LPWSABUF lpCallerData,
                   LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS, DWORD dwFlags) noexcept {
    return host::call_socket([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPJoinLeaf(s, name, namelen, lpCallerData, lpCalleeData, lpSQOS, lpGQOS,
                               dwFlags, err);
    });
}

BOOL WSAGetQOSByName(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS) noexcept {
    const WSPPROC_TABLE* t = host::table_or_fail();
    if (t == nullptr)
        return FALSE;
    int error = 0;
    const BOOL ok = t->lpWSPGetQOSByName(s, lpQOSName, lpQOS, &error);
    if (!ok)
        host::set_last_error(error);
    return ok;
}

int WSAAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, long lEvent) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPAsyncSelect(s, hWnd, wMsg, static_cast<LONG>(lEvent), err);
    });
}

int WSACancelBlockingCall() noexcept {
    return call_int(
        [&](const WSPPROC_TABLE& t, LPINT err) { return t.lpWSPCancelBlockingCall(err); });
}

} // namespace riosp::ws
