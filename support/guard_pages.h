// Memory for tests about bad buffers: one page the process may use, followed by a page it may
// not touch at all (Linux mmap PROT_NONE, Windows PAGE_NOACCESS), and ways to make the first page
// read-only or take it away as well, as an application that protects or unmaps a buffer would. A
// copy riosp made itself from or into them would crash (AddressSanitizer names it); the kernel
// answers EFAULT. Header-only; ok() says whether the system gave the pages.
#pragma once

#ifdef _WIN32
// winsock2.h first: windows.h would bring the old winsock.h.
#include <winsock2.h>

#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

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
        ok_ = base_ != nullptr && protect(base_ + page_, PAGE_NOACCESS);
#else
        page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        void* m =
            ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        base_ = m == MAP_FAILED ? nullptr : static_cast<char*>(m);
        ok_ = base_ != nullptr && ::mprotect(base_ + page_, page_, PROT_NONE) == 0;
#endif
    }
    ~GuardPages() {
        if (base_ == nullptr)
            return;
#ifdef _WIN32
        VirtualFree(base_, 0, MEM_RELEASE);
#else
        ::munmap(base_, 2 * page_);
#endif
    }
    GuardPages(const GuardPages&) = delete;
    GuardPages& operator=(const GuardPages&) = delete;

    [[nodiscard]] bool ok() const {
        return ok_;
    }
    [[nodiscard]] std::size_t page_size() const {
        return page_;
    }
    // The usable page (until read_only() or revoke()).
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
    // The usable page may be read, no longer written: true when done.
    [[nodiscard]] bool read_only() const {
#ifdef _WIN32
        return protect(base_, PAGE_READONLY);
#else
        return ::mprotect(base_, page_, PROT_READ) == 0;
#endif
    }
    // Takes the usable page away too: true when done.
    [[nodiscard]] bool revoke() const {
#ifdef _WIN32
        return protect(base_, PAGE_NOACCESS);
#else
        return ::mprotect(base_, page_, PROT_NONE) == 0;
#endif
    }

private:
#ifdef _WIN32
    [[nodiscard]] bool protect(char* page, DWORD how) const {
        DWORD old = 0;
        return VirtualProtect(page, page_, how, &old) != 0;
    }
#endif
    char* base_ = nullptr;
    std::size_t page_ = 0;
    bool ok_ = false;
};

} // namespace riosp::test
