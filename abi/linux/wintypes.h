// Windows x64 (LLP64) base types for Linux builds.
//
// Why: riosp's provider is written against the Windows SPI headers. On Linux this header
// supplies the same names with the *Windows* widths (DWORD/ULONG/LONG are 32-bit, WCHAR
// is 16-bit, pointers and SOCKET are 64-bit), so structures shared with tests and tools
// have the layout they have on Windows x64. It deliberately includes no libc networking
// header: fd_set, timeval and sockaddr are Windows types here (see winsock2.h beside it).
#pragma once

#include <cstddef>
#include <cstdint>

// The error values, as windows.h includes winerror.h (before the renames below: it includes
// standard headers of its own).
#include "winerror.h"

// glibc (with _GNU_SOURCE, which g++ always defines) declares BSD names that Winsock also
// uses with other layouts: u_long (64-bit there), fd_set (a 1024-bit mask) and timeval (two
// 64-bit longs). Include every glibc header that declares or uses them first, under their own
// names, then make the plain names refer to riosp's Windows definitions from here on. This
// works whatever the include order: glibc's include guards keep its own definitions intact.
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/wait.h>
#undef FD_SETSIZE
#undef FD_SET
#undef FD_CLR
#undef FD_ISSET
#undef FD_ZERO
#define u_long riosp_win_u_long
#define fd_set riosp_win_fd_set
#define timeval riosp_win_timeval

typedef std::uint8_t BYTE;
typedef std::uint8_t UCHAR;
typedef std::uint8_t u_char;
typedef char CHAR;
typedef std::uint16_t WORD;
typedef std::uint16_t USHORT;
typedef std::uint16_t u_short;
typedef std::int16_t SHORT;
typedef char16_t WCHAR;
typedef std::uint32_t DWORD;
typedef std::uint32_t ULONG;
typedef std::uint32_t UINT;
typedef std::uint32_t u_int;
typedef std::uint32_t u_long; // LLP64: u_long is 32-bit on Windows x64
typedef std::int32_t LONG;
typedef std::int32_t INT;
typedef std::int32_t BOOL;
typedef std::uint64_t ULONGLONG;
typedef std::int64_t LONGLONG;
typedef std::uintptr_t ULONG_PTR;
typedef std::uintptr_t DWORD_PTR;
typedef std::uintptr_t UINT_PTR;
typedef std::intptr_t LONG_PTR;
typedef std::intptr_t INT_PTR;
typedef void VOID;
typedef void* PVOID;
typedef void* LPVOID;
typedef void* HANDLE;
typedef struct HWND__* HWND;
typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM;
typedef CHAR* PCHAR;
typedef CHAR* LPSTR;
typedef WCHAR* LPWSTR;
typedef const WCHAR* LPCWSTR;
typedef INT* LPINT;
typedef DWORD* LPDWORD;
typedef DWORD* PDWORD;
typedef DWORD_PTR* PDWORD_PTR;
typedef ULONG* PULONG;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

// Calling-convention markers are empty on x64 (one calling convention).
#define WINAPI
#define PASCAL
#define CALLBACK
#define WSAAPI
#define WSPAPI
#define FAR

#define MAKEWORD(lo, hi) ((WORD)(((BYTE)(lo)) | ((WORD)((BYTE)(hi))) << 8))
#define LOBYTE(w) ((BYTE)((w)&0xff))
#define HIBYTE(w) ((BYTE)(((w) >> 8) & 0xff))

typedef struct _GUID {
    DWORD Data1;
    WORD Data2;
    WORD Data3;
    BYTE Data4[8];
} GUID;
typedef GUID* LPGUID;

inline bool operator==(const GUID& a, const GUID& b) noexcept {
    if (a.Data1 != b.Data1 || a.Data2 != b.Data2 || a.Data3 != b.Data3)
        return false;
    for (int i = 0; i < 8; ++i)
        if (a.Data4[i] != b.Data4[i])
            return false;
    return true;
}

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

#define WAIT_TIMEOUT 258L
#define INFINITE 0xFFFFFFFF
