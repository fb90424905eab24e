#include "heap.h"

#include <mimalloc.h>

namespace riosp::provider::heap {

// Registered regions are pinned by the kernel (io_uring) or by RIO; page alignment keeps a
// region from sharing its first and last pages with unrelated objects.
constexpr std::size_t page = 4096;

void* allocate_region(std::size_t bytes) noexcept {
    return mi_malloc_aligned(bytes, page);
}

void* allocate_slab(std::size_t bytes, std::size_t alignment) noexcept {
    return mi_zalloc_aligned(bytes, alignment);
}

void release(void* p) noexcept {
    mi_free(p);
}

void print_stats(void (*out)(const char* line, void* arg), void* arg) noexcept {
    mi_stats_print_out(out, arg);
}

} // namespace riosp::provider::heap
