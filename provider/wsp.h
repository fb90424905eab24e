// The provider's 30 SPI entry points (WSPPROC_TABLE order), implemented across the wsp_*.cpp
// files, plus the small helpers every entry point shares.
#pragma once

#include "provider_state.h"

#include <riosp/spi.h>

namespace riosp::provider {

// Entry points return SOCKET_ERROR / INVALID_SOCKET with the code in *lpErrno; never throw
// (docs/design.md, "No exceptions across the SPI boundary"). A socket found closed after its
// lookup fails with closed_error(): WSAENETDOWN when the last WSPCleanup closed it.
inline int fail(LPINT errno_out, int wsa) noexcept {
    if (wsa == WSAENOTSOCK)
        wsa = closed_error();
    if (errno_out != nullptr)
        *errno_out = wsa;
    return SOCKET_ERROR;
}

SOCKET WSPAPI WSPAccept(SOCKET, sockaddr*, LPINT, LPCONDITIONPROC, DWORD_PTR, LPINT);
INT WSPAPI WSPAddressToString(LPSOCKADDR, DWORD, LPWSAPROTOCOL_INFOW, LPWSTR, LPDWORD, LPINT);
int WSPAPI WSPAsyncSelect(SOCKET, HWND, unsigned int, LONG, LPINT);
int WSPAPI WSPBind(SOCKET, const sockaddr*, int, LPINT);
int WSPAPI WSPCancelBlockingCall(LPINT);
int WSPAPI WSPCleanup(LPINT);
int WSPAPI WSPCloseSocket(SOCKET, LPINT);
int WSPAPI WSPConnect(SOCKET, const sockaddr*, int, LPWSABUF, LPWSABUF, LPQOS, LPQOS, LPINT);
int WSPAPI WSPDuplicateSocket(SOCKET, DWORD, LPWSAPROTOCOL_INFOW, LPINT);
int WSPAPI WSPEnumNetworkEvents(SOCKET, WSAEVENT, LPWSANETWORKEVENTS, LPINT);
int WSPAPI WSPEventSelect(SOCKET, WSAEVENT, LONG, LPINT);
BOOL WSPAPI WSPGetOverlappedResult(SOCKET, LPWSAOVERLAPPED, LPDWORD, BOOL, LPDWORD, LPINT);
int WSPAPI WSPGetPeerName(SOCKET, sockaddr*, LPINT, LPINT);
int WSPAPI WSPGetSockName(SOCKET, sockaddr*, LPINT, LPINT);
int WSPAPI WSPGetSockOpt(SOCKET, int, int, char*, LPINT, LPINT);
BOOL WSPAPI WSPGetQOSByName(SOCKET, LPWSABUF, LPQOS, LPINT);
int WSPAPI WSPIoctl(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD, LPWSAOVERLAPPED,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID, LPINT);
SOCKET WSPAPI WSPJoinLeaf(SOCKET, const sockaddr*, int, LPWSABUF, LPWSABUF, LPQOS, LPQOS, DWORD,
                          LPINT);
int WSPAPI WSPListen(SOCKET, int, LPINT);
int WSPAPI WSPRecv(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD, LPWSAOVERLAPPED,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID, LPINT);
int WSPAPI WSPRecvDisconnect(SOCKET, LPWSABUF, LPINT);
int WSPAPI WSPRecvFrom(SOCKET, LPWSABUF, DWORD, LPDWORD, LPDWORD, sockaddr*, LPINT, LPWSAOVERLAPPED,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID, LPINT);
int WSPAPI WSPSelect(int, fd_set*, fd_set*, fd_set*, RIOSP_SELECT_TIMEOUT, LPINT);
int WSPAPI WSPSend(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD, LPWSAOVERLAPPED,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID, LPINT);
int WSPAPI WSPSendDisconnect(SOCKET, LPWSABUF, LPINT);
int WSPAPI WSPSendTo(SOCKET, LPWSABUF, DWORD, LPDWORD, DWORD, const sockaddr*, int, LPWSAOVERLAPPED,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE, LPWSATHREADID, LPINT);
int WSPAPI WSPSetSockOpt(SOCKET, int, int, const char*, int, LPINT);
int WSPAPI WSPShutdown(SOCKET, int, LPINT);
SOCKET WSPAPI WSPSocket(int, int, int, LPWSAPROTOCOL_INFOW, GROUP, DWORD, LPINT);
INT WSPAPI WSPStringToAddress(LPWSTR, INT, LPWSAPROTOCOL_INFOW, LPSOCKADDR, LPINT, LPINT);

// The table handed to ws2_32 (or riosp's Linux host) by WSPStartup: every entry filled.
[[nodiscard]] WSPPROC_TABLE proc_table() noexcept;

} // namespace riosp::provider
