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

// The WSATHREADID a call hands the provider (always a valid pointer, as ws2_32 gives it): for a
// call with a completion routine, the calling thread's, from the same code WPUOpenCurrentThread
// runs, so the provider's WPUQueueApc reaches this thread. The provider copies the structure
// (WSPSend's contract), so a stack value is enough. Every other call has no routine to queue
// and gets an empty one: that spares it the lookup of the thread's record, and a thread's first
// call the record's set-up.
class CallingThread {
public:
    explicit CallingThread(LPWSAOVERLAPPED_COMPLETION_ROUTINE routine) noexcept {
        int ignored = 0;
        if (routine != nullptr)
            (void)open_current_thread(id_, ignored);
    }
    CallingThread(const CallingThread&) = delete;
    CallingThread& operator=(const CallingThread&) = delete;
    [[nodiscard]] LPWSATHREADID get() noexcept { return &id_; }

private:
    WSATHREADID id_{};
};

} // namespace riosp::host
