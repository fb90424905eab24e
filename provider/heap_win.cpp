// heap.h on Windows: a provider-private Win32 heap (HeapCreate), so the provider's slabs and
// regions never come from the application's CRT heap. mimalloc is not packaged for MinGW in
// Debian; the private heap gives the same separation.
#include "heap.h"

#include <windows.h>

#include <cstdint>
#include <cstdio>

namespace riosp::provider::heap {
namespace {

HANDLE private_heap() noexcept {
    static const HANDLE heap = HeapCreate(0, 0, 0); // growable, serialized
    return heap;
}

// HeapAlloc aligns to 16 bytes; larger alignments over-allocate and keep the block's start
// just below the aligned pointer.
void* aligned(std::size_t bytes, std::size_t alignment, DWORD flags) noexcept {
    const HANDLE heap = private_heap();
    if (heap == nullptr || bytes > SIZE_MAX - alignment - sizeof(void*))
        return nullptr;
    void* raw = HeapAlloc(heap, flags, bytes + alignment + sizeof(void*));
    if (raw == nullptr)
        return nullptr;
    auto start = reinterpret_cast<std::uintptr_t>(raw) + sizeof(void*);
    start = (start + alignment - 1) & ~(std::uintptr_t{alignment} - 1);
    reinterpret_cast<void**>(start)[-1] = raw;
    return reinterpret_cast<void*>(start);
}

std::size_t live_blocks = 0; // for print_stats; updated under no lock: diagnostics only

} // namespace

constexpr std::size_t page = 4096;

void* allocate_region(std::size_t bytes) noexcept {
    void* p = aligned(bytes, page, 0);
    live_blocks += p != nullptr;
    return p;
}

void* allocate_slab(std::size_t bytes, std::size_t alignment) noexcept {
    void* p = aligned(bytes, alignment < 16 ? 16 : alignment, HEAP_ZERO_MEMORY);
    live_blocks += p != nullptr;
    return p;
}

void release(void* p) noexcept {
    if (p == nullptr)
        return;
    --live_blocks;
    HeapFree(private_heap(), 0, static_cast<void**>(p)[-1]);
}

void print_stats(void (*out)(const char* line, void* arg), void* arg) noexcept {
    char line[128];
    std::snprintf(line, sizeof line, "riosp private heap: %zu blocks live\n", live_blocks);
    out(line, arg);
}

} // namespace riosp::provider::heap
