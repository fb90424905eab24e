// Counts heap allocations per thread so that tests can prove the I/O path allocates nothing.
// Replaces the global operator new (the standard allows it); delete stays the default.
#include "alloc_counter.h"

#include <cstdlib>
#include <new>

namespace riosp::rio::test {
namespace {
thread_local std::size_t t_allocations = 0;
}
std::size_t allocations_on_this_thread() noexcept {
    return t_allocations;
}
} // namespace riosp::rio::test

void* operator new(std::size_t size) {
    ++riosp::rio::test::t_allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    ++riosp::rio::test::t_allocations;
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
