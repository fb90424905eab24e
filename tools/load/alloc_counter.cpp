// The malloc-family interposition behind alloc::Scope. A definition of malloc in the executable
// takes precedence over glibc's for every module, the dlopen'ed provider included; each one
// forwards to glibc's own entry point (__libc_malloc...). operator new reaches malloc too.
#include "alloc_counter.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RIOSP_LOAD_COUNT_ALLOCS 0
#else
#define RIOSP_LOAD_COUNT_ALLOCS 1
#endif

namespace riosp::load::alloc {
namespace {
thread_local bool t_counting = false;
thread_local std::uint64_t t_count = 0;
} // namespace

// Proves the interposition works in this process: one malloc inside a scope must count once.
bool available() noexcept {
    if (RIOSP_LOAD_COUNT_ALLOCS == 0)
        return false;
    static const bool works = [] {
        void* (*volatile allocate)(std::size_t) = std::malloc;
        Scope scope;
        void* p = allocate(16);
        std::free(p);
        return scope.count() == 1;
    }();
    return works;
}

Scope::Scope() noexcept : start_(t_count), outer_(!t_counting) {
    t_counting = true;
}
Scope::~Scope() {
    if (outer_)
        t_counting = false;
}
std::uint64_t Scope::count() const noexcept {
    return t_count - start_;
}

// Called by the interposed functions.
inline void note() noexcept {
    if (t_counting)
        ++t_count;
}

} // namespace riosp::load::alloc

#if RIOSP_LOAD_COUNT_ALLOCS
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    riosp::load::alloc::note();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
    riosp::load::alloc::note();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
    riosp::load::alloc::note();
    return __libc_realloc(p, n);
}
void* memalign(std::size_t align, std::size_t n) {
    riosp::load::alloc::note();
    return __libc_memalign(align, n);
}
void* aligned_alloc(std::size_t align, std::size_t n) {
    riosp::load::alloc::note();
    return __libc_memalign(align, n);
}
int posix_memalign(void** out, std::size_t align, std::size_t n) {
    if (align < sizeof(void*) || (align & (align - 1)) != 0)
        return EINVAL;
    riosp::load::alloc::note();
    void* p = __libc_memalign(align, n);
    if (p == nullptr)
        return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t n) {
    riosp::load::alloc::note();
    return __libc_valloc(n);
}
void* pvalloc(std::size_t n) {
    riosp::load::alloc::note();
    return __libc_pvalloc(n);
}
void free(void* p) {
    __libc_free(p);
}
}
#endif
