// The host's system calls on Windows, where riosp's host serves as the test stand-in for
// ws2_32 (tests load riosp_provider.dll through it). An "event descriptor" is a manual-reset
// event object's HANDLE as an int: Windows keeps handle values within 32 bits (that is what
// lets 32- and 64-bit processes share them).
#include "host/os.h"

#include <windows.h>

#include <cerrno>
#include <cstdint>

namespace riosp::host::os {
namespace {
HANDLE handle(int fd) noexcept {
    return reinterpret_cast<HANDLE>(static_cast<std::intptr_t>(fd));
}
} // namespace

void set_last_error(int error) noexcept {
    ::SetLastError(static_cast<DWORD>(error)); // what WSASetLastError does
}
int last_error() noexcept {
    return static_cast<int>(::GetLastError());
}

int eventfd_create() noexcept {
    const HANDLE h = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (h == nullptr)
        return -ENOMEM;
    const auto value = reinterpret_cast<std::intptr_t>(h);
    if (value <= 0 || value > INT32_MAX) { // cannot happen (see above); never truncate one
        CloseHandle(h);
        return -EMFILE;
    }
    return static_cast<int>(value);
}

int eventfd_signal(int fd) noexcept {
    return SetEvent(handle(fd)) ? 0 : -EBADF;
}

int eventfd_drain(int fd) noexcept {
    return ResetEvent(handle(fd)) ? 0 : -EBADF;
}

int close_fd(int fd) noexcept {
    return CloseHandle(handle(fd)) ? 0 : -EBADF;
}

int poll_readable(std::span<PollEntry> entries, int timeout_ms) noexcept {
    if (entries.size() > MAXIMUM_WAIT_OBJECTS)
        return -EINVAL;
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    for (std::size_t i = 0; i < entries.size(); ++i)
        handles[i] = handle(entries[i].fd);
    const DWORD rc = WaitForMultipleObjects(static_cast<DWORD>(entries.size()), handles, FALSE,
                                            timeout_ms < 0 ? INFINITE : DWORD(timeout_ms));
    if (rc == WAIT_TIMEOUT)
        return 0;
    // Signalled (or a handle is bad): look at each, as poll() reports every ready entry.
    int count = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const DWORD one = WaitForSingleObject(handles[i], 0);
        entries[i].ready = one == WAIT_OBJECT_0;
        entries[i].invalid = one == WAIT_FAILED;
        count += entries[i].ready || entries[i].invalid;
    }
    return count;
}

void* dl_open(const char* path, std::string& error) noexcept {
    HMODULE module = LoadLibraryA(path);
    if (module == nullptr)
        error =
            "LoadLibraryA(" + std::string(path) + ") failed with " + std::to_string(GetLastError());
    return reinterpret_cast<void*>(module);
}

void* dl_sym(void* module, const char* name) noexcept {
    return reinterpret_cast<void*>(GetProcAddress(static_cast<HMODULE>(module), name));
}

int dl_close(void* module) noexcept {
    return FreeLibrary(static_cast<HMODULE>(module)) ? 0 : -EINVAL;
}

CodeFile host_code_file() {
    return {}; // LoadLibrary finds riosp_provider.dll beside the executable by itself
}

bool file_exists(const std::string& path) noexcept {
    return GetFileAttributesA(path.c_str()) != INVALID_FILE_ATTRIBUTES;
}

} // namespace riosp::host::os
