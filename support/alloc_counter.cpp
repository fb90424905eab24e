// The counting behind alloc_counter.h and the replaced allocation functions that feed it. One
// object file on purpose: a program that calls start() or this_thread() pulls in the
// replacements with it (a static library's member is linked only when something refers to it).
#include "alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RIOSP_ALLOC_SANITIZER_HOOKS 1
#elif defined(_WIN32)
#define RIOSP_ALLOC_REPLACE_NEW 1
#else
#define RIOSP_ALLOC_REPLACE_MALLOC 1
#endif

namespace riosp::alloc {
namespace {
std::atomic<bool> g_on{false};
std::atomic<std::uint64_t> g_allocs{0};
std::atomic<std::uint64_t> g_frees{0};
// Plain thread-locals with constant initialisation: read inside malloc itself, they must need
// no lazy set-up that could allocate.
constinit thread_local std::uint64_t t_allocs = 0;
constinit thread_local std::uint64_t t_frees = 0;
} // namespace

// What the replacements below call (not in the header: nothing else should).
void note_alloc() noexcept {
    ++t_allocs;
    if (g_on.load(std::memory_order_relaxed))
        g_allocs.fetch_add(1, std::memory_order_relaxed);
}

void note_free(const void* p) noexcept {
    if (p == nullptr)
        return;
    ++t_frees;
    if (g_on.load(std::memory_order_relaxed))
        g_frees.fetch_add(1, std::memory_order_relaxed);
}

bool available() noexcept {
#if defined(RIOSP_ALLOC_REPLACE_NEW)
    return false;
#else
    static const bool works = [] {
        // Through a volatile pointer: the compiler may not pair and drop the malloc and free.
        void* (*volatile allocate)(std::size_t) = std::malloc;
        const ThreadScope scope;
        void* p = allocate(16);
        std::free(p);
        const Counts c = scope.counted();
        return c.allocations == 1 && c.frees == 1;
    }();
    return works;
#endif
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

Counts this_thread() noexcept {
    return Counts{t_allocs, t_frees};
}

} // namespace riosp::alloc

#if defined(RIOSP_ALLOC_SANITIZER_HOOKS)
// The sanitizer runtime owns malloc (and new); it calls these hooks for every allocation and
// free, the provider's included.
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

#elif defined(RIOSP_ALLOC_REPLACE_MALLOC)
// A definition of malloc in the executable takes precedence over glibc's for every module, the
// dlopen'ed provider included; each one forwards to glibc's own entry point. operator new and
// delete reach malloc and free, so counting here counts them once.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    riosp::alloc::note_alloc();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
    riosp::alloc::note_alloc();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
    riosp::alloc::note_alloc();
    return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
    riosp::alloc::note_alloc();
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
    riosp::alloc::note_alloc();
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
    if (align < sizeof(void*) || (align & (align - 1)) != 0)
        return EINVAL;
    riosp::alloc::note_alloc();
    void* p = __libc_memalign(align, n);
    if (p == nullptr)
        return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t n) {
    riosp::alloc::note_alloc();
    return __libc_valloc(n);
}
void* pvalloc(std::size_t n) {
    riosp::alloc::note_alloc();
    return __libc_pvalloc(n);
}
void free(void* p) {
    riosp::alloc::note_free(p);
    __libc_free(p);
}
}

#elif defined(RIOSP_ALLOC_REPLACE_NEW)
// Windows: the C runtime's malloc cannot be replaced in a statically linked program, but the
// global operator new/delete can (the standard allows it); rio's heap use is all C++.
void* operator new(std::size_t size) {
    riosp::alloc::note_alloc();
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    riosp::alloc::note_alloc();
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete(void* p) noexcept {
    riosp::alloc::note_free(p);
    std::free(p);
}
void operator delete[](void* p) noexcept {
    ::operator delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
    ::operator delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    ::operator delete(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    ::operator delete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    ::operator delete(p);
}
#endif
