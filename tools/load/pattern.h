// The data every connection carries: a deterministic byte stream per (connection id,
// direction), so the receiver can verify every byte at any offset without keeping a copy.
// Byte `o` of a stream is byte o%8 (little-endian) of word(o/8), a splitmix64 mix of the
// connection id, the direction and o/8.
#pragma once

#include <cstddef>
#include <cstdint>

namespace riosp::load {

enum class Dir : std::uint8_t { client_to_server = 0, server_to_client = 1 };

// splitmix64's finalizer: the stream's words, the random shutdown plans, header check values.
[[nodiscard]] inline std::uint64_t mix64(std::uint64_t z) noexcept {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
// Little-endian fields of the hello and the datagram header, whatever the host's byte order.
inline void put64(std::uint8_t* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
[[nodiscard]] inline std::uint64_t get64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

void fill(std::uint64_t id, Dir d, std::uint64_t offset, std::uint8_t* p, std::size_t n) noexcept;
// The index of the first byte that differs from the stream, or n when all match.
[[nodiscard]] std::size_t verify(std::uint64_t id, Dir d, std::uint64_t offset,
                                 const std::uint8_t* p, std::size_t n) noexcept;
[[nodiscard]] std::uint8_t expected_byte(std::uint64_t id, Dir d, std::uint64_t offset) noexcept;

} // namespace riosp::load
