// Socket options, names and ioctls.
#include "host/api_common.h"

#include <riosp/ws.h>

namespace riosp::ws {

using host::call_int;

int getsockopt(SOCKET s, int level, int optname, char* optval, int* optlen) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPGetSockOpt(s, level, optname, optval, optlen, err);
    });
}

int setsockopt(SOCKET s, int level, int optname, const char* optval, int optlen) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPSetSockOpt(s, level, optname, optval, optlen, err);
    });
}

int getsockname(SOCKET s, sockaddr* name, int* namelen) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPGetSockName(s, name, namelen, err);
    });
}

int getpeername(SOCKET s, sockaddr* name, int* namelen) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPGetPeerName(s, name, namelen, err);
    });
}

int ioctlsocket(SOCKET s, long cmd, u_long* argp) noexcept {
    // ws2_32 turns ioctlsocket into WSPIoctl with argp as both the in and the out buffer.
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        DWORD returned = 0;
        return t.lpWSPIoctl(s, static_cast<DWORD>(cmd), argp, sizeof(u_long), argp, sizeof(u_long),
                            &returned, nullptr, nullptr, nullptr, err);
    });
}

int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
             LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
             LPWSAOVERLAPPED lpOverlapped,
             LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        host::CallingThread thread(lpCompletionRoutine);
        return t.lpWSPIoctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                            lpcbBytesReturned, lpOverlapped, lpCompletionRoutine, thread.get(),
                            err);
    });
}

} // namespace riosp::ws
