// The Linux system calls the host needs, behind a neutral interface.
//
// Why: every file that includes <riosp/spi.h> sees the Windows fd_set, timeval and sockaddr, so
// it must never include glibc's networking headers. The few syscalls the host makes (eventfd,
// poll, dlopen) live in os_posix.cpp, which includes no SPI header; this interface uses only
// plain ints and standard types.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace riosp::host::os {

// All functions return 0 (or a descriptor / count) on success and -errno on failure.
[[nodiscard]] int eventfd_create() noexcept;
[[nodiscard]] int eventfd_signal(int fd) noexcept;
[[nodiscard]] int eventfd_drain(int fd) noexcept; // 0 also when it was not signalled
int close_fd(int fd) noexcept;

struct PollEntry {
    int fd = -1;
    bool ready = false;   // readable
    bool invalid = false; // not an open descriptor
};
// Waits until one entry is readable or timeout_ms passes (-1: forever). Returns the number of
// entries with ready or invalid set, 0 on timeout, -EINTR when interrupted.
[[nodiscard]] int poll_readable(std::span<PollEntry> entries, int timeout_ms) noexcept;

// The calling thread's Winsock last error (WSAGetLastError / WSASetLastError): one slot per
// thread for every module of the process, as Windows' SetLastError is, so that a failing
// extension function the application calls straight into the provider (DisconnectEx, the RIO
// table: no ws2_32 call around them) leaves its code where the application reads it. Windows:
// the thread's Win32 last error itself. Linux: a thread-local the host also exports to the
// provider as the C function riosp_host_set_last_error (rio/posix/last_error_posix.cpp finds it).
void set_last_error(int error) noexcept;
[[nodiscard]] int last_error() noexcept;

// dlopen/dlsym/dlclose; dl_open leaves dlerror()'s text in error on failure.
[[nodiscard]] void* dl_open(const char* path, std::string& error) noexcept;
[[nodiscard]] void* dl_sym(void* module, const char* name) noexcept;
int dl_close(void* module) noexcept;

// The file holding the host's own code: the executable when the host is linked into it
// (riosp-load, riosp-bench), else the shared library (libriosp_ws.so) as the dynamic loader
// found it. Empty path when unknown, and on Windows, where LoadLibrary's own search finds the
// provider beside the executable. The loader looks for an installed provider relative to it.
struct CodeFile {
    std::string path;
    bool executable = false;
};
[[nodiscard]] CodeFile host_code_file();
[[nodiscard]] bool file_exists(const std::string& path) noexcept;

} // namespace riosp::host::os
