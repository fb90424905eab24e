#pragma once

#include <cstddef>

namespace riosp::rio::test {
// Heap allocations made by the calling thread since it started (see alloc_counter.cpp).
[[nodiscard]] std::size_t allocations_on_this_thread() noexcept;
} // namespace riosp::rio::test
