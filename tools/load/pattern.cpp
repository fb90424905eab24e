// Pattern generation and verification, eight bytes at a time.
#include "pattern.h"

#include <bit>
#include <cstring>

namespace riosp::load {
namespace {

static_assert(std::endian::native == std::endian::little, "words are stored little-endian");

inline std::uint64_t word(std::uint64_t id, Dir d, std::uint64_t index) noexcept {
    return mix64((id * 0x9E3779B97F4A7C15ull) ^
                 ((static_cast<std::uint64_t>(d) + 1) * 0xD1B54A32D192ED03ull) ^ index);
}

} // namespace

std::uint8_t expected_byte(std::uint64_t id, Dir d, std::uint64_t offset) noexcept {
    return static_cast<std::uint8_t>(word(id, d, offset >> 3) >> (8 * (offset & 7)));
}

void fill(std::uint64_t id, Dir d, std::uint64_t offset, std::uint8_t* p, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i < n && ((offset + i) & 7) != 0; ++i)
        p[i] = expected_byte(id, d, offset + i);
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w = word(id, d, (offset + i) >> 3);
        std::memcpy(p + i, &w, 8);
    }
    for (; i < n; ++i)
        p[i] = expected_byte(id, d, offset + i);
}

std::size_t verify(std::uint64_t id, Dir d, std::uint64_t offset, const std::uint8_t* p,
                   std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i < n && ((offset + i) & 7) != 0; ++i)
        if (p[i] != expected_byte(id, d, offset + i))
            return i;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t want = word(id, d, (offset + i) >> 3);
        std::uint64_t got = 0;
        std::memcpy(&got, p + i, 8);
        if (got != want)
            return i + static_cast<std::size_t>(std::countr_zero(got ^ want) / 8);
    }
    for (; i < n; ++i)
        if (p[i] != expected_byte(id, d, offset + i))
            return i;
    return n;
}

} // namespace riosp::load
