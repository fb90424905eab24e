// Data transfer: send/recv and their WSA forms, overlapped or not, and overlapped results.
#include "host/api_common.h"

#include <riosp/ws.h>

namespace riosp::ws {

using host::call_int;

namespace {

// One WSABUF over a send/recv buffer. A negative length cannot describe a buffer: WSAEFAULT,
// which is what Windows reports once it reads the int as a huge unsigned length.
bool one_buffer(const char* buf, int len, WSABUF& out) noexcept {
    if (len < 0 || (buf == nullptr && len > 0)) {
        host::set_last_error(WSAEFAULT);
        return false;
    }
    out.len = static_cast<ULONG>(len);
    out.buf = const_cast<char*>(buf); // WSABUF is shared by send and receive
    return true;
}

} // namespace

int WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
            DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        host::CallingThread thread(lpCompletionRoutine);
        return t.lpWSPSend(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped,
                           lpCompletionRoutine, thread.get(), err);
    });
}

int WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
            LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        host::CallingThread thread(lpCompletionRoutine);
        return t.lpWSPRecv(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped,
                           lpCompletionRoutine, thread.get(), err);
    });
}

int WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
              DWORD dwFlags, const sockaddr* lpTo, int iTolen, LPWSAOVERLAPPED lpOverlapped,
              LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        host::CallingThread thread(lpCompletionRoutine);
        return t.lpWSPSendTo(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpTo,
                             iTolen, lpOverlapped, lpCompletionRoutine, thread.get(), err);
    });
}

int WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
                LPDWORD lpFlags, sockaddr* lpFrom, LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        host::CallingThread thread(lpCompletionRoutine);
        return t.lpWSPRecvFrom(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpFrom,
                               lpFromlen, lpOverlapped, lpCompletionRoutine, thread.get(), err);
    });
}

int send(SOCKET s, const char* buf, int len, int flags) noexcept {
    WSABUF wsabuf{};
    if (!one_buffer(buf, len, wsabuf))
        return SOCKET_ERROR;
    DWORD sent = 0;
    if (ws::WSASend(s, &wsabuf, 1, &sent, static_cast<DWORD>(flags), nullptr, nullptr) ==
        SOCKET_ERROR)
        return SOCKET_ERROR;
    return static_cast<int>(sent);
}

int recv(SOCKET s, char* buf, int len, int flags) noexcept {
    WSABUF wsabuf{};
    if (!one_buffer(buf, len, wsabuf))
        return SOCKET_ERROR;
    DWORD received = 0;
    DWORD dwFlags = static_cast<DWORD>(flags);
    if (ws::WSARecv(s, &wsabuf, 1, &received, &dwFlags, nullptr, nullptr) == SOCKET_ERROR)
        return SOCKET_ERROR;
    return static_cast<int>(received);
}

int sendto(SOCKET s, const char* buf, int len, int flags, const sockaddr* to, int tolen) noexcept {
    WSABUF wsabuf{};
    if (!one_buffer(buf, len, wsabuf))
        return SOCKET_ERROR;
    DWORD sent = 0;
    if (ws::WSASendTo(s, &wsabuf, 1, &sent, static_cast<DWORD>(flags), to, tolen, nullptr,
                      nullptr) == SOCKET_ERROR)
        return SOCKET_ERROR;
    return static_cast<int>(sent);
}

int recvfrom(SOCKET s, char* buf, int len, int flags, sockaddr* from, int* fromlen) noexcept {
    WSABUF wsabuf{};
    if (!one_buffer(buf, len, wsabuf))
        return SOCKET_ERROR;
    DWORD received = 0;
    DWORD dwFlags = static_cast<DWORD>(flags);
    if (ws::WSARecvFrom(s, &wsabuf, 1, &received, &dwFlags, from, fromlen, nullptr, nullptr) ==
        SOCKET_ERROR)
        return SOCKET_ERROR;
    return static_cast<int>(received);
}

BOOL WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
                            BOOL fWait, LPDWORD lpdwFlags) noexcept {
    const WSPPROC_TABLE* t = host::table_or_fail();
    if (t == nullptr)
        return FALSE;
    int error = 0;
    const BOOL ok =
        t->lpWSPGetOverlappedResult(s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags, &error);
    if (!ok)
        host::set_last_error(error);
    return ok;
}

} // namespace riosp::ws
