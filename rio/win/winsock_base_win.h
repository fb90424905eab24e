// Windows only, rio/-internal: the provider riosp's own sockets come from (net_win.cpp).
#pragma once

#include <winsock2.h>

namespace riosp::rio::net {

// WSAStartup once for riosp's own Winsock use (held for the process's life): 0 or its error.
[[nodiscard]] int ensure_startup() noexcept;
// The first IFS base entry of the catalog for `family` and `type` (SOCK_STREAM: TCP, SOCK_DGRAM:
// UDP; the Microsoft provider: riosp's own entries are non-IFS and layered ones are chains), so
// that riosp never creates its sockets through itself. nullptr when there is none: Winsock then
// picks.
[[nodiscard]] const WSAPROTOCOL_INFOW* base_provider(int family, int type) noexcept;

} // namespace riosp::rio::net
