// Counts heap allocations per thread so that tests can prove the I/O path allocates nothing.
// Replaces the global operator new (the standard allows it); delete stays the default.
#include "alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace riosp::rio::test {
namespace {
thread_local std::size_t t_allocations = 0;
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
std::atomic<std::size_t> g_frees{0};
} // namespace

void count_allocation() noexcept {
    ++t_allocations;
    if (g_counting.load(std::memory_order_relaxed))
        g_allocations.fetch_add(1, std::memory_order_relaxed);
}
void count_free(void* p) noexcept {
    if (p != nullptr && g_counting.load(std::memory_order_relaxed))
        g_frees.fetch_add(1, std::memory_order_relaxed);
}
void start_counting_all_threads() noexcept {
    g_allocations.store(0);
    g_frees.store(0);
    g_counting.store(true);
}
HeapCounts stop_counting_all_threads() noexcept {
    g_counting.store(false);
    return HeapCounts{g_allocations.load(), g_frees.load()};
}
std::size_t allocations_on_this_thread() noexcept {
    return t_allocations;
}
} // namespace riosp::rio::test

void* operator new(std::size_t size) {
    riosp::rio::test::count_allocation();
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    riosp::rio::test::count_allocation();
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete(void* p) noexcept {
    riosp::rio::test::count_free(p);
    std::free(p);
}
void operator delete[](void* p) noexcept {
    riosp::rio::test::count_free(p);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    riosp::rio::test::count_free(p);
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    riosp::rio::test::count_free(p);
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    riosp::rio::test::count_free(p);
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    riosp::rio::test::count_free(p);
    std::free(p);
}
