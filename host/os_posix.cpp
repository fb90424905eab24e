// Linux system calls for the host (see os.h for why they are kept apart from the SPI headers).
#include "host/os.h"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <vector>

#include <dlfcn.h>
#include <link.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace riosp::host::os {
namespace {
thread_local int t_last_error = 0;
} // namespace

void set_last_error(int error) noexcept {
    t_last_error = error;
}
int last_error() noexcept {
    return t_last_error;
}

int eventfd_create() noexcept {
    // Non-blocking so that resetting an unsignalled event (read of a zero counter) returns at
    // once; close-on-exec because Windows event handles are not inherited by default either.
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int eventfd_signal(int fd) noexcept {
    const std::uint64_t one = 1;
    for (;;) {
        const ssize_t n = ::write(fd, &one, sizeof one);
        if (n == static_cast<ssize_t>(sizeof one))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        // EAGAIN means the counter is saturated: it is signalled, which is all a set asks.
        if (n < 0 && errno == EAGAIN)
            return 0;
        return n < 0 ? -errno : -EIO;
    }
}

int eventfd_drain(int fd) noexcept {
    std::uint64_t value = 0;
    for (;;) {
        const ssize_t n = ::read(fd, &value, sizeof value);
        if (n == static_cast<ssize_t>(sizeof value))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        return n < 0 ? -errno : -EIO;
    }
}

int close_fd(int fd) noexcept {
    return ::close(fd) == 0 ? 0 : -errno;
}

int poll_readable(std::span<PollEntry> entries, int timeout_ms) noexcept {
    // At most WSA_MAXIMUM_WAIT_EVENTS + 1 entries: a stack array keeps waits allocation-free.
    constexpr std::size_t max_entries = 80;
    if (entries.size() > max_entries)
        return -EINVAL;
    pollfd fds[max_entries];
    for (std::size_t i = 0; i < entries.size(); ++i)
        fds[i] = pollfd{entries[i].fd, POLLIN, 0};
    const int rc = ::poll(fds, static_cast<nfds_t>(entries.size()), timeout_ms);
    if (rc < 0)
        return -errno;
    int count = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].ready = (fds[i].revents & POLLIN) != 0;
        entries[i].invalid = (fds[i].revents & POLLNVAL) != 0;
        if (entries[i].ready || entries[i].invalid)
            ++count;
    }
    return count;
}

void* dl_open(const char* path, std::string& error) noexcept {
    // RTLD_LOCAL: the provider's symbols must not interpose on the application's (ws2_32 loads
    // providers the same private way); RTLD_NOW: a missing symbol fails WSAStartup, not a send.
    void* module = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
        const char* text = ::dlerror();
        error = text != nullptr ? text : "dlopen failed";
    }
    return module;
}

void* dl_sym(void* module, const char* name) noexcept {
    return ::dlsym(module, name);
}

int dl_close(void* module) noexcept {
    return ::dlclose(module);
}

CodeFile host_code_file() {
    static const char anchor = 0; // any object of this file: its address names the module
    Dl_info info{};
    link_map* map = nullptr;
    if (::dladdr1(&anchor, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0 ||
        map == nullptr)
        return {};
    if (map->l_name != nullptr && map->l_name[0] != '\0')
        return {map->l_name, false};
    // The executable's link map has no name (dladdr's dli_fname is then argv[0], which need not
    // be a path at all when the program was found on PATH): the kernel knows the file.
    std::string exe(PATH_MAX, '\0');
    const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= exe.size())
        return {};
    exe.resize(static_cast<std::size_t>(n));
    return {exe, true};
}

bool file_exists(const std::string& path) noexcept {
    return ::access(path.c_str(), F_OK) == 0;
}

} // namespace riosp::host::os

// For the modules the host loads (os.h): exported from the executable (host/CMakeLists.txt), or
// from libriosp_ws.so (host/ws.map).
extern "C" __attribute__((visibility("default"))) void riosp_host_set_last_error(int error) {
    riosp::host::os::set_last_error(error);
}
