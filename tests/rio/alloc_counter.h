#pragma once

#include <cstddef>

namespace riosp::rio::test {
// Heap allocations made by the calling thread since it started (see alloc_counter.cpp).
[[nodiscard]] std::size_t allocations_on_this_thread() noexcept;

// Every thread (rio's progress thread included): operator new and operator delete (of a non-null
// pointer) counted between start and stop. rio's heap use is all C++ (vectors, new), so this
// covers it.
struct HeapCounts {
    std::size_t allocations = 0;
    std::size_t frees = 0;
};
void start_counting_all_threads() noexcept;
[[nodiscard]] HeapCounts stop_counting_all_threads() noexcept;
} // namespace riosp::rio::test
