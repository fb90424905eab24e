// rio/net.h's look at the application's memory on Linux: madvise(MADV_POPULATE_READ / _WRITE)
// over the buffer's pages (Linux 5.14), which fails for a range that is not mapped (ENOMEM) or
// not readable / writable (EINVAL, EFAULT) and otherwise faults the pages in, as the copy that
// follows would. One system call per buffer, whatever its size, and no signal handler: a library
// must not take SIGSEGV from its host. Where the kernel does not know the advice, one
// process_vm_readv of a byte per page tells a readable range from one that is not (a read-only
// receive buffer then passes the check and is found by the kernel call or the copy).
#include <rio/net.h>

#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

namespace riosp::rio::net {
namespace {

std::uintptr_t page_size() noexcept {
    static const auto size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

// Whether this kernel knows MADV_POPULATE_READ (asked once, on a page of our own).
bool kernel_populates() noexcept {
    static const bool known = [] {
        alignas(4096) static char page[4096];
        return ::madvise(page, sizeof page, MADV_POPULATE_READ) == 0 || errno != EINVAL;
    }();
    return known;
}

// One byte of every page of [first, end), read through the kernel: false when one is not
// readable. The bytes land in a scratch buffer; the range is not changed.
bool pages_readable(std::uintptr_t first, std::uintptr_t end) noexcept {
    constexpr std::size_t batch = 64;
    std::array<char, batch> scratch{};
    std::array<iovec, batch> remote{};
    const std::uintptr_t page = page_size();
    std::uintptr_t at = first;
    while (at < end) {
        std::size_t n = 0;
        for (; n < batch && at < end; ++n, at = (at & ~(page - 1)) + page)
            remote[n] = iovec{reinterpret_cast<void*>(at), 1};
        iovec local{scratch.data(), n};
        const ssize_t r = ::process_vm_readv(::getpid(), &local, 1, remote.data(), n, 0);
        if (r == static_cast<ssize_t>(n))
            continue;
        // Not allowed here (seccomp, an old kernel): no answer, and the kernel calls still check.
        return r < 0 && (errno == ENOSYS || errno == EPERM);
    }
    return true;
}

bool accessible(const void* data, std::size_t size, int advice) noexcept {
    if (size == 0)
        return true;
    const auto start = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t end = start + size;
    if (end < start)
        return false; // past the end of the address space
    if (!kernel_populates())
        return pages_readable(start, end);
    // madvise takes a page-aligned start; the page's other bytes share its protection.
    const std::uintptr_t first = start & ~(page_size() - 1);
    for (;;) {
        if (::madvise(reinterpret_cast<void*>(first), end - first, advice) == 0)
            return true;
        if (errno != EINTR)
            return false;
    }
}

} // namespace

bool can_read(const void* data, std::size_t size) noexcept {
    return accessible(data, size, MADV_POPULATE_READ);
}

bool can_write(void* data, std::size_t size) noexcept {
    return accessible(data, size, MADV_POPULATE_WRITE);
}

} // namespace riosp::rio::net
