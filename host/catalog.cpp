// The protocol catalog (see catalog.h).
#include "host/catalog.h"

#include <array>
#include <cstddef>

namespace riosp::host {

namespace {

const auto& builtin = provider::riosp_catalog;

std::array<WSAPROTOCOL_INFOW, max_catalog_entries> builtin_entries() noexcept {
    std::array<WSAPROTOCOL_INFOW, max_catalog_entries> out{};
    for (std::size_t i = 0; i < builtin.size(); ++i)
        out[i] = builtin[i];
    return out;
}
static_assert(builtin.size() <= max_catalog_entries);

// Written only by load_catalog (start-up lock held, provider not yet published); read after
// the provider is published, which orders the reads after the write.
std::array<WSAPROTOCOL_INFOW, max_catalog_entries> entries = builtin_entries();
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
    entries = builtin_entries();
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
