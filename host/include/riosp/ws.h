// The Winsock 2 API for Linux applications, served by riosp's host over the loaded provider.
//
// Why a namespace: bind, connect, send, recv, select, shutdown, socket... are libc symbols on
// Linux; C++ names in namespace riosp::ws have mangled link names and cannot clash with them.
// Windows code compiles unchanged after `using namespace riosp::ws;` (include this header,
// never <sys/socket.h>, in such a file: the types here have the Windows layout).
//
// Semantics are ws2_32's: failures return SOCKET_ERROR, INVALID_SOCKET, FALSE or
// WSA_WAIT_FAILED and set the calling thread's WSAGetLastError(); provider errors come back
// unchanged. Every call except WSAGetLastError/WSASetLastError/SleepEx fails with
// WSANOTINITIALISED before WSAStartup. No function throws.
#pragma once

#include <riosp/spi.h>

#ifndef WAIT_IO_COMPLETION
#define WAIT_IO_COMPLETION 0xC0L
#endif

namespace riosp::ws {

// ---- start-up and errors ----------------------------------------------------------------------
// Loads the provider on the first call ($RIOSP_PROVIDER_PATH, else the one installed beside
// libriosp_ws.so, else the build's libriosp_provider.so: docs/install.md); reference-counted.
// Returns the error code directly, like Windows.
[[nodiscard]] int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData) noexcept;
int WSACleanup() noexcept;
[[nodiscard]] int WSAGetLastError() noexcept;
void WSASetLastError(int iError) noexcept;

// ---- sockets ---------------------------------------------------------------------------------
[[nodiscard]] SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                                GROUP g, DWORD dwFlags) noexcept;
// Like Windows, socket() creates an overlapped-capable socket.
[[nodiscard]] SOCKET socket(int af, int type, int protocol) noexcept;
int bind(SOCKET s, const sockaddr* name, int namelen) noexcept;
int listen(SOCKET s, int backlog) noexcept;
[[nodiscard]] SOCKET accept(SOCKET s, sockaddr* addr, int* addrlen) noexcept;
[[nodiscard]] SOCKET WSAAccept(SOCKET s, sockaddr* addr, LPINT addrlen,
                               LPCONDITIONPROC lpfnCondition, DWORD_PTR dwCallbackData) noexcept;
int connect(SOCKET s, const sockaddr* name, int namelen) noexcept;
int WSAConnect(SOCKET s, const sockaddr* name, int namelen, LPWSABUF lpCallerData,
               LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS) noexcept;
int shutdown(SOCKET s, int how) noexcept;
int WSASendDisconnect(SOCKET s, LPWSABUF lpOutboundDisconnectData) noexcept;
int WSARecvDisconnect(SOCKET s, LPWSABUF lpInboundDisconnectData) noexcept;
int closesocket(SOCKET s) noexcept;

// ---- data ------------------------------------------------------------------------------------
int send(SOCKET s, const char* buf, int len, int flags) noexcept;
int recv(SOCKET s, char* buf, int len, int flags) noexcept;
int sendto(SOCKET s, const char* buf, int len, int flags, const sockaddr* to, int tolen) noexcept;
int recvfrom(SOCKET s, char* buf, int len, int flags, sockaddr* from, int* fromlen) noexcept;
int WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
            DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept;
int WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
            LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
            LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept;
int WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
              DWORD dwFlags, const sockaddr* lpTo, int iTolen, LPWSAOVERLAPPED lpOverlapped,
              LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept;
int WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
                LPDWORD lpFlags, sockaddr* lpFrom, LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept;
BOOL WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
                            BOOL fWait, LPDWORD lpdwFlags) noexcept;

// ---- options and control ---------------------------------------------------------------------
int getsockopt(SOCKET s, int level, int optname, char* optval, int* optlen) noexcept;
int setsockopt(SOCKET s, int level, int optname, const char* optval, int optlen) noexcept;
int getsockname(SOCKET s, sockaddr* name, int* namelen) noexcept;
int getpeername(SOCKET s, sockaddr* name, int* namelen) noexcept;
// cmd is a Windows `long` in source (FIONBIO, FIONREAD...); it is passed on as its DWORD code.
int ioctlsocket(SOCKET s, long cmd, u_long* argp) noexcept;
int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
             LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
             LPWSAOVERLAPPED lpOverlapped,
             LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine) noexcept;

// ---- readiness -------------------------------------------------------------------------------
// nfds is ignored, as on Windows. Sets are Windows fd_sets (a count and a SOCKET array).
int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
           const timeval* timeout) noexcept;
int WSAEventSelect(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents) noexcept;
int WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                         LPWSANETWORKEVENTS lpNetworkEvents) noexcept;

// ---- events (manual-reset) and waits ---------------------------------------------------------
[[nodiscard]] WSAEVENT WSACreateEvent() noexcept;
BOOL WSACloseEvent(WSAEVENT hEvent) noexcept;
BOOL WSASetEvent(WSAEVENT hEvent) noexcept;
BOOL WSAResetEvent(WSAEVENT hEvent) noexcept;
// Up to WSA_MAXIMUM_WAIT_EVENTS. Waiting never resets an event. With fAlertable, APCs queued to
// this thread (completion routines) run inside the wait, which then returns
// WSA_WAIT_IO_COMPLETION.
DWORD WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT* lphEvents, BOOL fWaitAll,
                               DWORD dwTimeout, BOOL fAlertable) noexcept;
// kernel32's SleepEx: 0 after the timeout, WAIT_IO_COMPLETION if alertable and APCs ran.
DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable) noexcept;

// ---- catalog, address strings, and the entries TCP has little use for -------------------------
// The catalog entries (lpiProtocols: zero-terminated protocol numbers, NULL for all); too small
// a buffer fails with WSAENOBUFS and the needed size in *lpdwBufferLength.
int WSAEnumProtocolsW(LPINT lpiProtocols, LPWSAPROTOCOL_INFOW lpProtocolBuffer,
                      LPDWORD lpdwBufferLength) noexcept;
INT WSAAddressToStringW(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
                        LPWSAPROTOCOL_INFOW lpProtocolInfo, LPWSTR lpszAddressString,
                        LPDWORD lpdwAddressStringLength) noexcept;
INT WSAStringToAddressW(LPWSTR AddressString, INT AddressFamily, LPWSAPROTOCOL_INFOW lpProtocolInfo,
                        LPSOCKADDR lpAddress, LPINT lpAddressLength) noexcept;
int WSADuplicateSocketW(SOCKET s, DWORD dwProcessId, LPWSAPROTOCOL_INFOW lpProtocolInfo) noexcept;
[[nodiscard]] SOCKET WSAJoinLeaf(SOCKET s, const sockaddr* name, int namelen, LPWSABUF lpCallerData,
                                 LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS,
                                 DWORD dwFlags) noexcept;
BOOL WSAGetQOSByName(SOCKET s, LPWSABUF lpQOSName, LPQOS lpQOS) noexcept;
// No windows on Linux: whatever the provider answers (riosp: WSAEOPNOTSUPP).
int WSAAsyncSelect(SOCKET s, HWND hWnd, unsigned int wMsg, long lEvent) noexcept;
int WSACancelBlockingCall() noexcept;

} // namespace riosp::ws
