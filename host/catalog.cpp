// The protocol catalog (see catalog.h).
#include "host/catalog.h"

#include <array>
#include <cstddef>

namespace riosp::host {

namespace {

constexpr WSAPROTOCOL_INFOW make_entry(DWORD id, int af, int sockaddr_size, const char16_t* name) {
    WSAPROTOCOL_INFOW info{};
    // A TCP base provider: reliable, ordered, graceful close, urgent data. Not XP1_IFS_HANDLES:
    // sockets are WPUCreateSocketHandle handles, not file descriptors. XP1_DISCONNECT_DATA is
    // clear: TCP carries no disconnect data.
    info.dwServiceFlags1 =
        XP1_GUARANTEED_DELIVERY | XP1_GUARANTEED_ORDER | XP1_GRACEFUL_CLOSE | XP1_EXPEDITED_DATA;
    info.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    info.ProviderId = riosp_provider_guid;
    info.dwCatalogEntryId = id;
    info.ProtocolChain.ChainLen = BASE_PROTOCOL;
    info.ProtocolChain.ChainEntries[0] = id;
    info.iVersion = 2;
    info.iAddressFamily = af;
    info.iMaxSockAddr = sockaddr_size;
    info.iMinSockAddr = sockaddr_size;
    info.iSocketType = SOCK_STREAM;
    info.iProtocol = IPPROTO_TCP;
    info.iNetworkByteOrder = BIGENDIAN;
    info.iSecurityScheme = SECURITY_PROTOCOL_NONE;
    for (int i = 0; name[i] != u'\0' && i < WSAPROTOCOL_LEN; ++i)
        info.szProtocol[i] = name[i];
    return info;
}

const std::array<WSAPROTOCOL_INFOW, 2> builtin = {
    make_entry(builtin_catalog_id_tcp4, AF_INET, sizeof(sockaddr_in), u"riosp TCP/IP (RIO)"),
    make_entry(builtin_catalog_id_tcp6, AF_INET6, sizeof(sockaddr_in6), u"riosp TCP/IPv6 (RIO)"),
};

// Written only by load_catalog (start-up lock held, provider not yet published); read after
// the provider is published, which orders the reads after the write.
std::array<WSAPROTOCOL_INFOW, max_catalog_entries> entries = {builtin[0], builtin[1]};
std::size_t entry_count = builtin.size();

} // namespace

void load_catalog(GetProtocolCatalogFn fn) noexcept {
    if (fn != nullptr) {
        std::array<WSAPROTOCOL_INFOW, max_catalog_entries> loaded{};
        int count = max_catalog_entries;
        if (fn(loaded.data(), &count) == 0 && count > 0 && count <= max_catalog_entries) {
            entries = loaded;
            entry_count = static_cast<std::size_t>(count);
            return;
        }
    }
    entries = {builtin[0], builtin[1]};
    entry_count = builtin.size();
}

std::span<const WSAPROTOCOL_INFOW> catalog() noexcept {
    return {entries.data(), entry_count};
}

bool catalog_has(DWORD catalog_entry_id) noexcept {
    for (const auto& e : catalog())
        if (e.dwCatalogEntryId == catalog_entry_id)
            return true;
    return false;
}

bool catalog_has_provider(const GUID& provider_id) noexcept {
    for (const auto& e : catalog())
        if (e.ProviderId == provider_id)
            return true;
    return false;
}

const WSAPROTOCOL_INFOW* find_catalog_entry(int af, int type, int protocol, int& error) noexcept {
    // Narrow down family, then type, then protocol, so the error names the first mismatch.
    bool family_seen = false;
    bool type_seen = false;
    for (const auto& e : catalog()) {
        if (e.iAddressFamily != af)
            continue;
        family_seen = true;
        if (e.iSocketType != type)
            continue;
        type_seen = true;
        if (protocol == e.iProtocol ||
            (protocol == 0 && (e.dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO) != 0))
            return &e;
    }
    error = !family_seen ? WSAEAFNOSUPPORT : !type_seen ? WSAESOCKTNOSUPPORT : WSAEPROTONOSUPPORT;
    return nullptr;
}

} // namespace riosp::host
