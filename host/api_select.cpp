// Readiness: select and event-based network events.
#include "host/api_common.h"

#include <riosp/ws.h>

namespace riosp::ws {

using host::call_int;

int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
           const timeval* timeout) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        // ws2_32 refuses a select with nothing to watch before asking any provider.
        const auto empty = [](const fd_set* set) { return set == nullptr || set->fd_count == 0; };
        if (empty(readfds) && empty(writefds) && empty(exceptfds)) {
            *err = WSAEINVAL;
            return SOCKET_ERROR;
        }
        // ws2_32 splits the sets by provider; with one provider they go through whole.
        // (const_cast only for MinGW's LPWSPSELECT, whose timeout lacks the SDK's const.)
        return t.lpWSPSelect(nfds, readfds, writefds, exceptfds,
                             const_cast<RIOSP_SELECT_TIMEOUT>(timeout), err);
    });
}

int WSAEventSelect(SOCKET s, WSAEVENT hEventObject, long lNetworkEvents) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPEventSelect(s, hEventObject, static_cast<LONG>(lNetworkEvents), err);
    });
}

int WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
                         LPWSANETWORKEVENTS lpNetworkEvents) noexcept {
    return call_int([&](const WSPPROC_TABLE& t, LPINT err) {
        return t.lpWSPEnumNetworkEvents(s, hEventObject, lpNetworkEvents, err);
    });
}

} // namespace riosp::ws
