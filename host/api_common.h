// What every riosp::ws function does around its WSP call: find the provider (or fail with
// WSANOTINITIALISED), pass an lpErrno, and turn a failure into the thread's last error.
#pragma once

#include "host/apc.h"
#include "host/last_error.h"
#include "host/loader.h"

#include <riosp/spi.h>

namespace riosp::host {

// The provider table, or nullptr after setting WSANOTINITIALISED.
[[nodiscard]] inline const WSPPROC_TABLE* table_or_fail() noexcept {
    const WSPPROC_TABLE* t = provider();
    if (t == nullptr)
        set_last_error(WSANOTINITIALISED);
    return t;
}

// Calls f(table, &err) for entries returning int; SOCKET_ERROR sets the last error.
template <class F> int call_int(F&& f) noexcept {
    const WSPPROC_TABLE* t = table_or_fail();
    if (t == nullptr)
        return SOCKET_ERROR;
    int error = 0;
    const int rc = f(*t, &error);
    if (rc == SOCKET_ERROR)
        set_last_error(error);
    return rc;
}

// For entries returning SOCKET; INVALID_SOCKET sets the last error.
template <class F> SOCKET call_socket(F&& f) noexcept {
    const WSPPROC_TABLE* t = table_or_fail();
    if (t == nullptr)
        return INVALID_SOCKET;
    int error = 0;
    const SOCKET s = f(*t, &error);
    if (s == INVALID_SOCKET)
        set_last_error(error);
    return s;
}

// The WSATHREADID an overlapped call hands the provider: the calling thread's, from the same
// code WPUOpenCurrentThread runs, so the provider's WPUQueueApc reaches this thread. The
// provider copies the structure (WSPSend's contract), so a stack value is enough.
[[nodiscard]] inline WSATHREADID calling_thread_id() noexcept {
    WSATHREADID id{};
    int ignored = 0;
    (void)open_current_thread(id, ignored);
    return id;
}

} // namespace riosp::host
