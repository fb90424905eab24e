#include "alloc_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace riosp::alloc {
namespace {
std::atomic<bool> g_on{false};
std::atomic<std::uint64_t> g_allocs{0};
std::atomic<std::uint64_t> g_frees{0};
} // namespace

inline void note_alloc() noexcept {
    if (g_on.load(std::memory_order_relaxed))
        g_allocs.fetch_add(1, std::memory_order_relaxed);
}
inline void note_free(const void* p) noexcept {
    if (p != nullptr && g_on.load(std::memory_order_relaxed))
        g_frees.fetch_add(1, std::memory_order_relaxed);
}

bool available() noexcept {
    return true;
}

void start() noexcept {
    g_allocs.store(0);
    g_frees.store(0);
    g_on.store(true, std::memory_order_seq_cst);
}

Counts stop() noexcept {
    g_on.store(false, std::memory_order_seq_cst);
    return peek();
}

Counts peek() noexcept {
    return Counts{g_allocs.load(), g_frees.load()};
}

} // namespace riosp::alloc

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizer runtime owns malloc; it calls these hooks for every allocation and free.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void*, size_t),
                                                         void (*)(const volatile void*));
namespace {
void on_malloc(const volatile void*, size_t) {
    riosp::alloc::note_alloc();
}
void on_free(const volatile void* p) {
    riosp::alloc::note_free(const_cast<const void*>(p));
}
[[maybe_unused]] const int g_hooks = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
} // namespace
#else
// glibc's real allocator entry points.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) {
    riosp::alloc::note_alloc();
    return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
    riosp::alloc::note_alloc();
    return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
    riosp::alloc::note_alloc();
    return __libc_realloc(p, n);
}
void free(void* p) {
    riosp::alloc::note_free(p);
    __libc_free(p);
}
void* aligned_alloc(size_t a, size_t n) {
    riosp::alloc::note_alloc();
    return __libc_memalign(a, n);
}
void* memalign(size_t a, size_t n) {
    riosp::alloc::note_alloc();
    return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
    riosp::alloc::note_alloc();
    void* p = __libc_memalign(a, n);
    if (p == nullptr)
        return 12; // ENOMEM
    *out = p;
    return 0;
}
}

// operator new/delete go through malloc/free above; counting them there counts them once.
#endif
