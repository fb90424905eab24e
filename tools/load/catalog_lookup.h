// The entry a socket comes from in a Winsock catalog as WSAEnumProtocolsW lists it: riosp's,
// found by riosp's provider GUID (as riosp-install's is_riosp_entry finds them), or the system's.
// Header-only and free of system calls, over riosp's SPI types (the SDK's on Windows, abi/linux's
// elsewhere), so a fabricated catalog tests it on either platform
// (tests/tools/load_catalog_test.cpp); raw_baseline_win.cpp uses it on the real one.
#pragma once

#include "provider/catalog_entries.h"

#include <cstring>
#include <span>

namespace riosp::load {

enum class Owner : bool { system, riosp };

[[nodiscard]] inline Owner owner_of(const WSAPROTOCOL_INFOW& e) noexcept {
    return std::memcmp(&e.ProviderId, &provider::provider_guid, sizeof(GUID)) == 0 ? Owner::riosp
                                                                                   : Owner::system;
}

// The first entry of `owner` for sockets of this family and type (TCP for SOCK_STREAM, UDP for
// SOCK_DGRAM), or null. A layered provider's own entry (chain length 0) makes no sockets and is
// skipped; a chain over a base entry carries its layer's GUID. Owner::system gives what socket()
// would pick were riosp not in the catalog: the baseline's entry, wherever riosp-install put
// riosp's.
[[nodiscard]] inline const WSAPROTOCOL_INFOW*
find_entry(std::span<const WSAPROTOCOL_INFOW> catalog, int family, int type, Owner owner) noexcept {
    const int protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    for (const auto& e : catalog)
        if (e.iAddressFamily == family && e.iSocketType == type && e.iProtocol == protocol &&
            e.ProtocolChain.ChainLen != LAYERED_PROTOCOL && owner_of(e) == owner)
            return &e;
    return nullptr;
}

} // namespace riosp::load
