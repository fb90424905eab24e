// SPI entries that have no meaning for riosp's TCP sockets. Each answers the documented error
// and is listed in the README's coverage table; none pretends to succeed.
#include "wsp.h"

namespace riosp::provider {

// Address <-> string conversion is ws2_32's job for base providers that do not override it.
INT WSPAPI WSPAddressToString(LPSOCKADDR, DWORD, LPWSAPROTOCOL_INFOW, LPWSTR, LPDWORD,
                              LPINT lpErrno) {
    return fail(lpErrno, WSAEINVAL);
}
INT WSPAPI WSPStringToAddress(LPWSTR, INT, LPWSAPROTOCOL_INFOW, LPSOCKADDR, LPINT, LPINT lpErrno) {
    return fail(lpErrno, WSAEINVAL);
}

// Window-message notification needs a message loop; use WSPEventSelect.
int WSPAPI WSPAsyncSelect(SOCKET, HWND, unsigned int, LONG, LPINT lpErrno) {
    return fail(lpErrno, WSAEOPNOTSUPP);
}

// Winsock 2 has no blocking hooks: the documented answer is WSAEOPNOTSUPP.
int WSPAPI WSPCancelBlockingCall(LPINT lpErrno) {
    return fail(lpErrno, WSAEOPNOTSUPP);
}

// Registered buffers and rings are process-local; a socket cannot move to another process.
int WSPAPI WSPDuplicateSocket(SOCKET, DWORD, LPWSAPROTOCOL_INFOW, LPINT lpErrno) {
    return fail(lpErrno, WSAEOPNOTSUPP);
}

// No QOS support (XP1_QOS_SUPPORTED clear).
BOOL WSPAPI WSPGetQOSByName(SOCKET, LPWSABUF, LPQOS, LPINT lpErrno) {
    fail(lpErrno, WSAEOPNOTSUPP);
    return FALSE;
}

// Multipoint is for XP1_SUPPORT_MULTIPOINT protocols; TCP is not one.
SOCKET WSPAPI WSPJoinLeaf(SOCKET, const sockaddr*, int, LPWSABUF, LPWSABUF, LPQOS, LPQOS, DWORD,
                          LPINT lpErrno) {
    fail(lpErrno, WSAEOPNOTSUPP);
    return INVALID_SOCKET;
}

} // namespace riosp::provider
