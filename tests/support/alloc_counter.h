// Counts heap operations on every thread while counting is switched on: malloc, calloc,
// realloc, free, aligned allocations and every form of operator new/delete. Shared by the
// allocation-freedom test and the benchmarks (allocs_per_op counters).
//
// Release builds replace the allocation functions in the executable (exported with
// --export-dynamic, so a dlopen'ed provider binds to them too); sanitizer builds, where the
// sanitizer owns malloc, count through __sanitizer_install_malloc_and_free_hooks instead.
#pragma once

#include <cstdint>

namespace riosp::alloc {

struct Counts {
    std::uint64_t allocations = 0; // malloc/calloc/realloc/aligned/new
    std::uint64_t frees = 0;       // free/delete
    [[nodiscard]] std::uint64_t total() const noexcept { return allocations + frees; }
};

// True when this build can count (always, unless a sanitizer without hooks is in use).
[[nodiscard]] bool available() noexcept;
void start() noexcept;                // zeroes the counts and starts counting
[[nodiscard]] Counts stop() noexcept; // stops counting and returns what was counted
[[nodiscard]] Counts peek() noexcept;

} // namespace riosp::alloc
