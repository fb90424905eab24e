// Counts heap operations, for the tests, benchmarks and riosp-load that prove a path allocates
// nothing. Two views of one count:
//   - every thread (workers included), between start() and stop();
//   - the calling thread, always on (this_thread(), ThreadScope): riosp-load wraps each
//     disconnect call in a ThreadScope, the rio suites check a loop of their own thread.
//
// How operations are seen depends on the build (alloc_counter.cpp):
//   - Linux: the malloc family is replaced in the executable (forwarding to glibc's
//     __libc_malloc...), so operator new/delete and a dlopen'ed provider count too; the library
//     links its users with --export-dynamic so the provider binds to these definitions;
//   - sanitizer builds, where the sanitizer owns malloc: its malloc/free hooks;
//   - Windows: operator new/delete are replaced in the executable; malloc is not counted, nor is
//     anything a DLL does on its own heap (available() says false).
#pragma once

#include <cstdint>

namespace riosp::alloc {

struct Counts {
    std::uint64_t allocations = 0; // malloc/calloc/realloc/aligned/new
    std::uint64_t frees = 0;       // free/delete of a non-null pointer
    [[nodiscard]] std::uint64_t total() const noexcept { return allocations + frees; }
};

// Whether a malloc made anywhere in this process, a dlopen'ed module included, is counted:
// proved once by counting one (false on Windows).
[[nodiscard]] bool available() noexcept;

// Every thread: start() zeroes the counts and starts counting, stop() stops and returns them.
void start() noexcept;
[[nodiscard]] Counts stop() noexcept;
[[nodiscard]] Counts peek() noexcept;

// The calling thread's operations since it started.
[[nodiscard]] Counts this_thread() noexcept;

// The calling thread's operations since the scope opened.
class ThreadScope {
public:
    ThreadScope() noexcept : start_(this_thread()) {}
    [[nodiscard]] Counts counted() const noexcept {
        const Counts now = this_thread();
        return Counts{now.allocations - start_.allocations, now.frees - start_.frees};
    }

private:
    Counts start_;
};

} // namespace riosp::alloc
