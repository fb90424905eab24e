#include "catalog.h"

#include <array>
#include <cstddef>

namespace riosp::provider {
namespace {

// Service flags of a reliable byte stream with graceful close and no disconnect data:
// XP1_DISCONNECT_DATA stays clear because plain TCP carries none (docs/half-close.md,
// "Disconnect data").
constexpr DWORD tcp_service_flags = XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER |
                                    XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA | XP1_PARTIAL_MESSAGE;

template <std::size_t N>
constexpr WSAPROTOCOL_INFOW make_entry(int af, DWORD catalog_id, int addr_len,
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

constexpr std::array<WSAPROTOCOL_INFOW, 2> catalog = {
    make_entry(AF_INET, catalog_id_tcp4, sizeof(sockaddr_in), u"riosp TCP/IP (RIO)"),
    make_entry(AF_INET6, catalog_id_tcp6, sizeof(sockaddr_in6), u"riosp TCP/IPv6 (RIO)"),
};

} // namespace

std::span<const WSAPROTOCOL_INFOW> protocol_catalog() noexcept {
    return catalog;
}

const WSAPROTOCOL_INFOW* find_protocol(int af, int type, int protocol) noexcept {
    for (const auto& info : catalog) {
        if (info.iAddressFamily != af)
            continue;
        if (type != 0 && type != info.iSocketType)
            continue;
        if (protocol != 0 && protocol != info.iProtocol)
            continue;
        return &info;
    }
    return nullptr;
}

} // namespace riosp::provider
