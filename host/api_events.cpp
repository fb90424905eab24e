// Event objects, waits and SleepEx.
#include "host/api_common.h"
#include "host/events.h"

#include <riosp/ws.h>

#include <span>

namespace riosp::ws {

namespace {

// Runs an event operation after the WSANOTINITIALISED check Windows documents for it.
template <class F> BOOL event_call(F&& f) noexcept {
    if (host::table_or_fail() == nullptr)
        return FALSE;
    int error = 0;
    if (f(error))
        return TRUE;
    host::set_last_error(error);
    return FALSE;
}

} // namespace

WSAEVENT WSACreateEvent() noexcept {
    if (host::table_or_fail() == nullptr)
        return WSA_INVALID_EVENT;
    int error = 0;
    const WSAEVENT e = host::event_create(error);
    if (e == WSA_INVALID_EVENT)
        host::set_last_error(error);
    return e;
}

BOOL WSACloseEvent(WSAEVENT hEvent) noexcept {
    return event_call([&](int& error) { return host::event_close(hEvent, error); });
}

BOOL WSASetEvent(WSAEVENT hEvent) noexcept {
    return event_call([&](int& error) { return host::event_set(hEvent, error); });
}

BOOL WSAResetEvent(WSAEVENT hEvent) noexcept {
    return event_call([&](int& error) { return host::event_reset(hEvent, error); });
}

DWORD WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT* lphEvents, BOOL fWaitAll,
                               DWORD dwTimeout, BOOL fAlertable) noexcept {
    if (host::table_or_fail() == nullptr)
        return WSA_WAIT_FAILED;
    if (lphEvents == nullptr || cEvents == 0 || cEvents > WSA_MAXIMUM_WAIT_EVENTS) {
        host::set_last_error(WSA_INVALID_PARAMETER);
        return WSA_WAIT_FAILED;
    }
    int error = 0;
    const DWORD rc = host::wait_for_events(std::span{lphEvents, cEvents}, fWaitAll != FALSE,
                                           dwTimeout, fAlertable != FALSE, error);
    if (rc == WSA_WAIT_FAILED)
        host::set_last_error(error);
    return rc;
}

DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable) noexcept {
    return host::sleep_ex(dwMilliseconds, bAlertable != FALSE);
}

} // namespace riosp::ws
