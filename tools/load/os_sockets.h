// The system's own socket API, for the files that call it directly: endpoint.cpp (the
// resolver) and raw_baseline_{posix,win}.cpp (the --baseline transport). Winsock on Windows, BSD
// sockets elsewhere; this header is the one place that chooses, so those files need no #ifdef.
// Never include it beside <riosp/ws.h>: on Linux riosp's Windows-layout types and the system's
// socket types cannot meet in one file.
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

#include <cstdint>
#include <string>

namespace riosp::load {

// The interface index of an IPv6 scope ("eth0" or a number), 0 when there is no such interface.
[[nodiscard]] std::uint32_t scope_index(const std::string& name) noexcept;

} // namespace riosp::load
