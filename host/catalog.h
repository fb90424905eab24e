// The host's protocol catalog: the WSAPROTOCOL_INFOW entries ws2_32 would read from the
// Winsock catalog in the registry (written there by an installer).
//
// On Linux there is no registry: when the provider exports riospGetProtocolCatalog (beside
// WSPStartup) the host adopts those entries at load time, exactly what an installer would
// have registered; otherwise it uses its built-in entries for TCP and UDP over IPv4 and IPv6, which
// carry riosp's provider GUID and catalog ids.
#pragma once

#include "provider/catalog_entries.h"

#include <riosp/spi.h>

#include <span>

namespace riosp::host {

// riosp's own entries (provider/catalog_entries.h: one builder for the provider and the host).
inline constexpr GUID riosp_provider_guid = provider::provider_guid;
inline constexpr DWORD builtin_catalog_id_tcp4 = provider::catalog_id_tcp4;
inline constexpr DWORD builtin_catalog_id_tcp6 = provider::catalog_id_tcp6;
inline constexpr DWORD builtin_catalog_id_udp4 = provider::catalog_id_udp4;
inline constexpr DWORD builtin_catalog_id_udp6 = provider::catalog_id_udp6;
inline constexpr int max_catalog_entries = 16;

// The signature of the provider's optional catalog export: copies up to *count entries, sets
// *count to the number available; 0 or WSAENOBUFS.
using GetProtocolCatalogFn = int (*)(LPWSAPROTOCOL_INFOW out, LPINT count);

// Replaces the catalog with the provider's entries (fn may be nullptr); falls back to the
// built-in entries when fn is missing, fails or reports nothing. Called under the start-up
// lock before the provider is published.
void load_catalog(GetProtocolCatalogFn fn) noexcept;

[[nodiscard]] std::span<const WSAPROTOCOL_INFOW> catalog() noexcept;
[[nodiscard]] bool catalog_has(DWORD catalog_entry_id) noexcept;
[[nodiscard]] bool catalog_has_provider(const GUID& provider_id) noexcept;
// The entry WSASocketW picks for (af, type, protocol) when the caller passes no protocol info;
// nullptr with WSAEAFNOSUPPORT / WSAESOCKTNOSUPPORT / WSAEPROTONOSUPPORT as Windows reports.
[[nodiscard]] const WSAPROTOCOL_INFOW* find_catalog_entry(int af, int type, int protocol,
                                                          int& error) noexcept;

} // namespace riosp::host
