// Memory a test's buffers live in when the test is about what riosp does with bad buffers: one
// page the process may use, followed by a page it may not touch at all (Linux mmap PROT_NONE,
// Windows PAGE_NOACCESS), and a way to take the first page away as well, as an application
// that unmaps or protects a buffer would. A copy riosp made itself from or into them would
// crash (and AddressSanitizer names it); the kernel answers EFAULT.
#pragma once

#ifdef _WIN32
#include <winsock2.h> // before windows.h, which would bring the old winsock.h
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <gtest/gtest.h>

#include <cstddef>

namespace riosp::test {

class GuardPages {
public:
    GuardPages() {
#ifdef _WIN32
        SYSTEM_INFO info{};
        GetSystemInfo(&info);
        page_ = info.dwPageSize;
        base_ = static_cast<char*>(
            VirtualAlloc(nullptr, 2 * page_, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
        DWORD old = 0;
        EXPECT_TRUE(base_ != nullptr && VirtualProtect(base_ + page_, page_, PAGE_NOACCESS, &old));
#else
        page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        void* m =
            ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        base_ = m == MAP_FAILED ? nullptr : static_cast<char*>(m);
        EXPECT_TRUE(base_ != nullptr && ::mprotect(base_ + page_, page_, PROT_NONE) == 0);
#endif
    }
    ~GuardPages() {
#ifdef _WIN32
        VirtualFree(base_, 0, MEM_RELEASE);
#else
        ::munmap(base_, 2 * page_);
#endif
    }
    GuardPages(const GuardPages&) = delete;
    GuardPages& operator=(const GuardPages&) = delete;

    [[nodiscard]] std::size_t page_size() const {
        return page_;
    }
    // The usable page (until revoke()).
    [[nodiscard]] char* usable() const {
        return base_;
    }
    // The last `n` usable bytes: the inaccessible page follows them directly.
    [[nodiscard]] char* usable_tail(std::size_t n) const {
        return base_ + page_ - n;
    }
    // The page no access is allowed to.
    [[nodiscard]] char* guard() const {
        return base_ + page_;
    }
    // Takes the usable page away too.
    void revoke() const {
#ifdef _WIN32
        DWORD old = 0;
        EXPECT_TRUE(VirtualProtect(base_, page_, PAGE_NOACCESS, &old));
#else
        EXPECT_EQ(::mprotect(base_, page_, PROT_NONE), 0);
#endif
    }

private:
    char* base_ = nullptr;
    std::size_t page_ = 0;
};

} // namespace riosp::test
