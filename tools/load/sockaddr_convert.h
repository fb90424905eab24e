// An Endpoint as a sockaddr and back, for the three socket APIs riosp-load drives: riosp's host
// (<riosp/ws.h>: the Windows layout, also on Linux), Linux sockets and Winsock (the baselines).
// Their sockaddr_in / sockaddr_in6 share field names and byte layout but not their family values
// or headers, so one template serves all three, instantiated where each API's types are in scope
// (those headers cannot meet in one file on Linux).
#pragma once

#include "transport.h"

#include <cstdint>
#include <cstring>

namespace riosp::load::sockaddr_convert {

[[nodiscard]] constexpr std::uint16_t swap16(std::uint16_t v) noexcept {
    return static_cast<std::uint16_t>(((v & 0xff) << 8) | (v >> 8)); // host order is little-endian
}

// `e` into `ss` (zeroed first): the address's length.
template <class In4, class In6, class Storage>
[[nodiscard]] int to_sockaddr(const Endpoint& e, Storage& ss, int af_inet, int af_inet6) noexcept {
    std::memset(&ss, 0, sizeof ss);
    if (e.v6) {
        auto* a = reinterpret_cast<In6*>(&ss);
        a->sin6_family = static_cast<decltype(a->sin6_family)>(af_inet6);
        a->sin6_port = swap16(e.port);
        std::memcpy(&a->sin6_addr, e.addr.data(), 16);
        a->sin6_scope_id = e.scope;
        return sizeof(In6);
    }
    auto* a = reinterpret_cast<In4*>(&ss);
    a->sin_family = static_cast<decltype(a->sin_family)>(af_inet);
    a->sin_port = swap16(e.port);
    std::memcpy(&a->sin_addr, e.addr.data(), 4);
    return sizeof(In4);
}

template <class In4, class In6, class Storage>
[[nodiscard]] Endpoint from_sockaddr(const Storage& ss, int af_inet6) noexcept {
    Endpoint e;
    if (ss.ss_family == af_inet6) {
        const auto* a = reinterpret_cast<const In6*>(&ss);
        e.v6 = true;
        std::memcpy(e.addr.data(), &a->sin6_addr, 16);
        e.port = swap16(a->sin6_port);
        e.scope = a->sin6_scope_id;
    } else {
        const auto* a = reinterpret_cast<const In4*>(&ss);
        std::memcpy(e.addr.data(), &a->sin_addr, 4);
        e.port = swap16(a->sin_port);
    }
    return e;
}

} // namespace riosp::load::sockaddr_convert
