// The 15 upcalls (WSPUPCALLTABLE) a provider calls back into the host.
//
// Every upcall validates its pointers and reports failure through *lpErrno, never by
// exception or crash: a provider bug must not take the host down with it.
#include "host/upcalls.h"

#include "host/apc.h"
#include "host/catalog.h"
#include "host/events.h"
#include "host/handles.h"
#include "host/loader.h"

#include <string>

namespace riosp::host {

namespace {

void report(LPINT lpErrno, int error) noexcept {
    if (lpErrno != nullptr)
        *lpErrno = error;
}

BOOL WSPAPI wpu_close_event(WSAEVENT hEvent, LPINT lpErrno) {
    int error = 0;
    if (event_close(hEvent, error))
        return TRUE;
    report(lpErrno, error);
    return FALSE;
}

int WSPAPI wpu_close_socket_handle(SOCKET s, LPINT lpErrno) {
    if (socket_handles().close(s))
        return 0;
    report(lpErrno, WSAENOTSOCK);
    return SOCKET_ERROR;
}

WSAEVENT WSPAPI wpu_create_event(LPINT lpErrno) {
    int error = 0;
    const WSAEVENT e = event_create(error);
    if (e == WSA_INVALID_EVENT)
        report(lpErrno, error);
    return e;
}

SOCKET WSPAPI wpu_create_socket_handle(DWORD dwCatalogEntryId, DWORD_PTR dwContext, LPINT lpErrno) {
    // Only this host's catalog entries may own handles: a handle maps to its provider.
    if (!catalog_has(dwCatalogEntryId)) {
        report(lpErrno, WSAEINVAL);
        return INVALID_SOCKET;
    }
    int error = 0;
    const SOCKET s = socket_handles().create(dwContext, error);
    if (s == INVALID_SOCKET)
        report(lpErrno, error);
    return s;
}

int WSPAPI wpu_fd_is_set(SOCKET s, fd_set* fdset) {
    if (fdset == nullptr)
        return 0;
    for (u_int i = 0; i < fdset->fd_count; ++i)
        if (fdset->fd_array[i] == s)
            return 1;
    return 0;
}

int WSPAPI wpu_get_provider_path(LPGUID lpProviderId, WCHAR* lpszProviderDllPath,
                                 LPINT lpProviderDllPathLen, LPINT lpErrno) {
    if (lpProviderId == nullptr || lpProviderDllPathLen == nullptr) {
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    if (!catalog_has_provider(*lpProviderId)) {
        report(lpErrno, WSAEINVAL);
        return SOCKET_ERROR;
    }
    std::u16string wide;
    try {
        // UTF-8 to UTF-16 (paths are bytes on Linux; invalid sequences pass through as-is).
        const std::string path = provider_path();
        for (std::size_t i = 0; i < path.size();) {
            const auto c = static_cast<unsigned char>(path[i]);
            char32_t cp = c;
            std::size_t len = 1;
            if (c >= 0xf0 && i + 3 < path.size()) {
                cp = ((c & 0x07u) << 18) | ((path[i + 1] & 0x3fu) << 12) |
                     ((path[i + 2] & 0x3fu) << 6) | (path[i + 3] & 0x3fu);
                len = 4;
            } else if (c >= 0xe0 && i + 2 < path.size()) {
                cp = ((c & 0x0fu) << 12) | ((path[i + 1] & 0x3fu) << 6) | (path[i + 2] & 0x3fu);
                len = 3;
            } else if (c >= 0xc0 && i + 1 < path.size()) {
                cp = ((c & 0x1fu) << 6) | (path[i + 1] & 0x3fu);
                len = 2;
            }
            if (cp >= 0x10000) {
                cp -= 0x10000;
                wide.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
                wide.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
            } else {
                wide.push_back(static_cast<char16_t>(cp));
            }
            i += len;
        }
    } catch (...) {
        report(lpErrno, WSA_NOT_ENOUGH_MEMORY);
        return SOCKET_ERROR;
    }
    const auto needed = static_cast<int>(wide.size() + 1);
    if (lpszProviderDllPath == nullptr || *lpProviderDllPathLen < needed) {
        *lpProviderDllPathLen = needed; // the documented way to ask for the size
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    for (std::size_t i = 0; i < wide.size(); ++i)
        lpszProviderDllPath[i] = wide[i];
    lpszProviderDllPath[wide.size()] = u'\0';
    *lpProviderDllPathLen = needed;
    return 0;
}

SOCKET WSPAPI wpu_modify_ifs_handle(DWORD, SOCKET, LPINT lpErrno) {
    // Linux has no installable-file-system handles: an IFS provider cannot be hosted here, so
    // the call answers its documented "invalid" error rather than pretending.
    report(lpErrno, WSAEINVAL);
    return INVALID_SOCKET;
}

BOOL WSPAPI wpu_post_message(HWND, UINT, WPARAM, LPARAM) {
    return FALSE; // no windows, no message queues: WSAAsyncSelect has nowhere to post
}

int WSPAPI wpu_query_blocking_callback(DWORD dwCatalogEntryId, LPBLOCKINGCALLBACK* lplpfnCallback,
                                       PDWORD_PTR lpdwContext, LPINT lpErrno) {
    if (lplpfnCallback == nullptr || lpdwContext == nullptr) {
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    if (!catalog_has(dwCatalogEntryId)) {
        report(lpErrno, WSAEINVAL);
        return SOCKET_ERROR;
    }
    // Winsock 2 applications have no blocking hooks: a NULL callback tells the provider to
    // block without calling back (what ws2_32 answers for them).
    *lplpfnCallback = nullptr;
    *lpdwContext = 0;
    return 0;
}

int WSPAPI wpu_query_socket_handle_context(SOCKET s, PDWORD_PTR lpContext, LPINT lpErrno) {
    if (lpContext == nullptr) {
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    if (socket_handles().query(s, *lpContext))
        return 0;
    report(lpErrno, WSAENOTSOCK);
    return SOCKET_ERROR;
}

int WSPAPI wpu_queue_apc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc, DWORD_PTR dwContext,
                         LPINT lpErrno) {
    if (lpThreadId == nullptr) {
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    int error = 0;
    if (queue_apc(*lpThreadId, lpfnUserApc, dwContext, error))
        return 0;
    report(lpErrno, error);
    return SOCKET_ERROR;
}

BOOL WSPAPI wpu_reset_event(WSAEVENT hEvent, LPINT lpErrno) {
    int error = 0;
    if (event_reset(hEvent, error))
        return TRUE;
    report(lpErrno, error);
    return FALSE;
}

BOOL WSPAPI wpu_set_event(WSAEVENT hEvent, LPINT lpErrno) {
    int error = 0;
    if (event_set(hEvent, error))
        return TRUE;
    report(lpErrno, error);
    return FALSE;
}

int WSPAPI wpu_open_current_thread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
    if (lpThreadId == nullptr) {
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    int error = 0;
    if (open_current_thread(*lpThreadId, error))
        return 0;
    report(lpErrno, error);
    return SOCKET_ERROR;
}

int WSPAPI wpu_close_thread(LPWSATHREADID lpThreadId, LPINT lpErrno) {
    if (lpThreadId == nullptr) {
        report(lpErrno, WSAEFAULT);
        return SOCKET_ERROR;
    }
    int error = 0;
    if (close_thread(*lpThreadId, error))
        return 0;
    report(lpErrno, error);
    return SOCKET_ERROR;
}

} // namespace

WSPUPCALLTABLE upcall_table() noexcept {
    WSPUPCALLTABLE t{};
    t.lpWPUCloseEvent = wpu_close_event;
    t.lpWPUCloseSocketHandle = wpu_close_socket_handle;
    t.lpWPUCreateEvent = wpu_create_event;
    t.lpWPUCreateSocketHandle = wpu_create_socket_handle;
    t.lpWPUFDIsSet = wpu_fd_is_set;
    t.lpWPUGetProviderPath = wpu_get_provider_path;
    t.lpWPUModifyIFSHandle = wpu_modify_ifs_handle;
    t.lpWPUPostMessage = wpu_post_message;
    t.lpWPUQueryBlockingCallback = wpu_query_blocking_callback;
    t.lpWPUQuerySocketHandleContext = wpu_query_socket_handle_context;
    t.lpWPUQueueApc = wpu_queue_apc;
    t.lpWPUResetEvent = wpu_reset_event;
    t.lpWPUSetEvent = wpu_set_event;
    t.lpWPUOpenCurrentThread = wpu_open_current_thread;
    t.lpWPUCloseThread = wpu_close_thread;
    return t;
}

} // namespace riosp::host
