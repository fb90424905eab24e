// riosp's protocol catalog: the WSAPROTOCOL_INFOW entries it serves (TCP over IPv4 and IPv6).
// On Windows riosp-install writes them into the Winsock catalog; on Linux the host reads them
// through riospGetProtocolCatalog (exported beside WSPStartup).
#pragma once

#include <riosp/spi.h>

#include <span>

namespace riosp::provider {

// {9d3b6c1e-5a0f-4e52-9b7e-52696f535031}: riosp's provider GUID.
inline constexpr GUID provider_guid = {
    0x9d3b6c1e, 0x5a0f, 0x4e52, {0x9b, 0x7e, 0x52, 0x69, 0x6f, 0x53, 0x50, 0x31}};

// Catalog entry ids used when the host does not assign its own (Linux).
inline constexpr DWORD catalog_id_tcp4 = 0x52494f01;
inline constexpr DWORD catalog_id_tcp6 = 0x52494f02;

[[nodiscard]] std::span<const WSAPROTOCOL_INFOW> protocol_catalog() noexcept;
// The entry for (af, type, protocol) as WSPSocket receives them; nullptr if riosp serves none.
[[nodiscard]] const WSAPROTOCOL_INFOW* find_protocol(int af, int type, int protocol) noexcept;

} // namespace riosp::provider
