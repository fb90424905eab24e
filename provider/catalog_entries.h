// riosp's protocol catalog entries, as data: TCP and UDP over IPv4 and IPv6. Header-only and constexpr
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
inline constexpr DWORD catalog_id_udp4 = 0x52494f03;
inline constexpr DWORD catalog_id_udp6 = 0x52494f04;

// What riosp's TCP really offers, no more: a reliable, ordered byte stream with graceful close.
// Not XP1_EXPEDITED_DATA: MSG_OOB answers WSAEOPNOTSUPP (no urgent data on the rings), where the
// system's own TCP entries claim it. Not XP1_PARTIAL_MESSAGE: a stream has no messages (nor do
// the system's TCP entries claim it). Not XP1_DISCONNECT_DATA: TCP carries none
// (docs/half-close.md, "Disconnect data"). Not XP1_IFS_HANDLES: sockets are WPUCreateSocketHandle
// handles.
inline constexpr DWORD tcp_service_flags =
    XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE;

// What riosp's UDP offers: datagrams, message boundaries kept, broadcast (SO_BROADCAST). Not
// XP1_SUPPORT_MULTIPOINT (no multicast options), not XP1_PARTIAL_MESSAGE (a datagram longer than
// the receive buffer is cut and reported with WSAEMSGSIZE, never delivered in parts), not
// XP1_DISCONNECT_DATA (docs/half-close.md, "Datagram sockets").
inline constexpr DWORD udp_service_flags =
    XP1_CONNECTIONLESS | XP1_MESSAGE_ORIENTED | XP1_SUPPORT_BROADCAST;
// The largest datagram the system's UDP entries announce (65,467 bytes: 65,535 less the IP and
// UDP headers and the options Windows reserves room for).
inline constexpr DWORD udp_message_size = 65467;

template <std::size_t N>
constexpr WSAPROTOCOL_INFOW make_entry(int af, int type, int protocol, DWORD catalog_id,
                                       int addr_len, const char16_t (&name)[N]) {
    static_assert(N <= WSAPROTOCOL_LEN);
    const bool stream = type == SOCK_STREAM;
    WSAPROTOCOL_INFOW info{};
    info.dwServiceFlags1 = stream ? tcp_service_flags : udp_service_flags;
    info.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    info.ProviderId = provider_guid;
    info.dwCatalogEntryId = catalog_id;
    info.ProtocolChain.ChainLen = BASE_PROTOCOL;
    info.ProtocolChain.ChainEntries[0] = catalog_id;
    info.iVersion = 2;
    info.iAddressFamily = af;
    info.iMaxSockAddr = addr_len;
    info.iMinSockAddr = addr_len;
    info.iSocketType = type;
    info.iProtocol = protocol;
    info.iProtocolMaxOffset = 0;
    info.iNetworkByteOrder = BIGENDIAN;
    info.iSecurityScheme = SECURITY_PROTOCOL_NONE;
    info.dwMessageSize = stream ? 0 : udp_message_size; // a stream has no message size
    for (std::size_t i = 0; i < N; ++i)
        info.szProtocol[i] = name[i];
    return info;
}

inline constexpr std::array<WSAPROTOCOL_INFOW, 4> riosp_catalog = {
    make_entry(AF_INET, SOCK_STREAM, IPPROTO_TCP, catalog_id_tcp4, sizeof(sockaddr_in),
               u"riosp TCP/IP (RIO)"),
    make_entry(AF_INET6, SOCK_STREAM, IPPROTO_TCP, catalog_id_tcp6, sizeof(sockaddr_in6),
               u"riosp TCP/IPv6 (RIO)"),
    make_entry(AF_INET, SOCK_DGRAM, IPPROTO_UDP, catalog_id_udp4, sizeof(sockaddr_in),
               u"riosp UDP/IP (RIO)"),
    make_entry(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, catalog_id_udp6, sizeof(sockaddr_in6),
               u"riosp UDP/IPv6 (RIO)"),
};

} // namespace riosp::provider
