// WSAStartup, WSACleanup and the last error.
#include "host/api_common.h"

#include <riosp/ws.h>

namespace riosp::ws {

int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData) noexcept {
    const int rc = host::startup(wVersionRequested, lpWSAData);
    if (rc != 0)
        host::set_last_error(rc); // Windows returns the code; keeping it here costs nothing
    return rc;
}

int WSACleanup() noexcept {
    const int rc = host::cleanup();
    if (rc == 0)
        return 0;
    host::set_last_error(rc);
    return SOCKET_ERROR;
}

int WSAGetLastError() noexcept {
    return host::last_error();
}

void WSASetLastError(int iError) noexcept {
    host::set_last_error(iError);
}

} // namespace riosp::ws
