// riosp's protocol catalog entries, as data: TCP over IPv4 and IPv6. Header-only and constexpr
// so that the one builder serves the provider (catalog.cpp, riospGetProtocolCatalog,
// riosp-install) and the Linux host, whose built-in catalog stands in for the registry when a
// provider exports no catalog of its own.
#pragma once

#include <riosp/spi.h>

#include <array>
#include <cstddef>

namespace riosp::provider {

// {9d3b6c1e-5a0f-4e52-9b7e-52696f535031}: riosp's provider GUID.
inline constexpr GUID provider_guid = {
    0x9d3b6c1e, 0x5a0f, 0x4e52, {0x9b, 0x7e, 0x52, 0x69, 0x6f, 0x53, 0x50, 0x31}};

// Catalog entry ids used when the host does not assign its own (Linux).
inline constexpr DWORD catalog_id_tcp4 = 0x52494f01;
inline constexpr DWORD catalog_id_tcp6 = 0x52494f02;

// What riosp's TCP really offers, no more: a reliable, ordered byte stream with graceful close.
// Not XP1_EXPEDITED_DATA: MSG_OOB answers WSAEOPNOTSUPP (no urgent data on the rings), where the
// system's own TCP entries claim it. Not XP1_PARTIAL_MESSAGE: a stream has no messages (nor do
// the system's TCP entries claim it). Not XP1_DISCONNECT_DATA: TCP carries none
// (docs/half-close.md, "Disconnect data"). Not XP1_IFS_HANDLES: sockets are WPUCreateSocketHandle
// handles.
inline constexpr DWORD tcp_service_flags =
    XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE;

template <std::size_t N>
constexpr WSAPROTOCOL_INFOW make_tcp_entry(int af, DWORD catalog_id, int addr_len,
                                           const char16_t (&name)[N]) {
    static_assert(N <= WSAPROTOCOL_LEN);
    WSAPROTOCOL_INFOW info{};
    info.dwServiceFlags1 = tcp_service_flags;
    info.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    info.ProviderId = provider_guid;
    info.dwCatalogEntryId = catalog_id;
    info.ProtocolChain.ChainLen = BASE_PROTOCOL;
    info.ProtocolChain.ChainEntries[0] = catalog_id;
    info.iVersion = 2;
    info.iAddressFamily = af;
    info.iMaxSockAddr = addr_len;
    info.iMinSockAddr = addr_len;
    info.iSocketType = SOCK_STREAM;
    info.iProtocol = IPPROTO_TCP;
    info.iProtocolMaxOffset = 0;
    info.iNetworkByteOrder = BIGENDIAN;
    info.iSecurityScheme = SECURITY_PROTOCOL_NONE;
    info.dwMessageSize = 0; // stream: no message size
    for (std::size_t i = 0; i < N; ++i)
        info.szProtocol[i] = name[i];
    return info;
}

inline constexpr std::array<WSAPROTOCOL_INFOW, 2> tcp_catalog = {
    make_tcp_entry(AF_INET, catalog_id_tcp4, sizeof(sockaddr_in), u"riosp TCP/IP (RIO)"),
    make_tcp_entry(AF_INET6, catalog_id_tcp6, sizeof(sockaddr_in6), u"riosp TCP/IPv6 (RIO)"),
};

} // namespace riosp::provider
