// riosp's protocol catalog: the WSAPROTOCOL_INFOW entries it serves (TCP over IPv4 and IPv6).
// On Windows riosp-install writes them into the Winsock catalog; on Linux the host reads them
// through riospGetProtocolCatalog (exported beside WSPStartup).
#pragma once

#include "catalog_entries.h"

#include <riosp/spi.h>

#include <span>

namespace riosp::provider {

[[nodiscard]] std::span<const WSAPROTOCOL_INFOW> protocol_catalog() noexcept;
// The entry for (af, type, protocol) as WSPSocket receives them; nullptr if riosp serves none.
[[nodiscard]] const WSAPROTOCOL_INFOW* find_protocol(int af, int type, int protocol) noexcept;

} // namespace riosp::provider
