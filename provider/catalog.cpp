#include "catalog.h"

namespace riosp::provider {

std::span<const WSAPROTOCOL_INFOW> protocol_catalog() noexcept {
    return riosp_catalog;
}

const WSAPROTOCOL_INFOW* find_protocol(int af, int type, int protocol) noexcept {
    for (const auto& info : riosp_catalog) {
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
