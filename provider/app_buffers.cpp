// provider/app_buffers.h.
#include "app_buffers.h"

#include <algorithm>

namespace riosp::provider {
namespace {

// The parts past `skip`, `limit` bytes at most, each asked of `can`.
template <class Bytes, class Can>
bool app_memory(std::span<const WSABUF> bufs, std::uint64_t skip, std::uint64_t limit,
                Can can) noexcept {
    std::array<Bytes, max_wsabufs> parts;
    const std::size_t n = parts_after(bufs, skip, parts);
    for (std::size_t i = 0; i < n && limit > 0; ++i) {
        const std::size_t size = std::min<std::uint64_t>(parts[i].size, limit);
        if (!can(parts[i].data, size))
            return false;
        limit -= size;
    }
    return true;
}

} // namespace

bool app_bytes_readable(std::span<const WSABUF> bufs, std::uint64_t skip,
                        std::uint64_t limit) noexcept {
    return app_memory<rio::net::ConstBytes>(bufs, skip, limit, rio::net::can_read);
}

bool app_room_writable(std::span<const WSABUF> bufs, std::uint64_t skip,
                       std::uint64_t limit) noexcept {
    return app_memory<rio::net::MutableBytes>(bufs, skip, limit, rio::net::can_write);
}

} // namespace riosp::provider
