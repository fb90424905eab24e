// The data every connection carries: a deterministic byte stream per (connection id,
// direction), so the receiver can verify every byte at any offset without keeping a copy.
// Byte `o` of a stream is byte o%8 (little-endian) of word(o/8), a splitmix64 mix of the
// connection id, the direction and o/8.
#pragma once

#include <cstddef>
#include <cstdint>

namespace riosp::load {

enum class Dir : std::uint8_t { client_to_server = 0, server_to_client = 1 };

void fill(std::uint64_t id, Dir d, std::uint64_t offset, std::uint8_t* p, std::size_t n) noexcept;
// The index of the first byte that differs from the stream, or n when all match.
[[nodiscard]] std::size_t verify(std::uint64_t id, Dir d, std::uint64_t offset,
                                 const std::uint8_t* p, std::size_t n) noexcept;
[[nodiscard]] std::uint8_t expected_byte(std::uint64_t id, Dir d, std::uint64_t offset) noexcept;

} // namespace riosp::load
