// The provider's allocator for its non-hot paths: socket slabs and registered regions come
// from mimalloc, never from the application's malloc. Nothing on the I/O or disconnect paths
// allocates at all (tests/provider/provider_alloc_test.cpp); these are the warm-up allocations.
#pragma once

#include <cstddef>
#include <memory>

namespace riosp::provider::heap {

// Page-aligned memory for RIO registered regions; nullptr when exhausted.
[[nodiscard]] void* allocate_region(std::size_t bytes) noexcept;
// Memory for a slab of objects; nullptr when exhausted.
[[nodiscard]] void* allocate_slab(std::size_t bytes, std::size_t alignment) noexcept;
void release(void* p) noexcept;

struct Release {
    void operator()(void* p) const noexcept { release(p); }
};
using RegionPtr = std::unique_ptr<char, Release>;

// mimalloc's statistics, line by line, to `out` (riospPrintAllocatorStats).
void print_stats(void (*out)(const char* line, void* arg), void* arg) noexcept;

} // namespace riosp::provider::heap
