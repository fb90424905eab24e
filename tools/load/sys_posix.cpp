// The process helpers on Linux (no riosp headers here); sys_win.cpp is the Windows twin.
#include "sys.h"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <sstream>

namespace riosp::load {
namespace {
std::atomic<bool>* g_stop_flag = nullptr;
extern "C" void on_stop_signal(int) {
    g_stop_flag->store(true);
}
} // namespace

namespace {
bool statm(unsigned long long& size, unsigned long long& resident) noexcept {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr)
        return false;
    int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2;
}
} // namespace

std::uint64_t rss_bytes() noexcept {
    unsigned long long size = 0, resident = 0;
    if (!statm(size, resident))
        return 0;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t vm_bytes() noexcept {
    unsigned long long size = 0, resident = 0;
    if (!statm(size, resident))
        return 0;
    return size * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

void raise_fd_limit() noexcept {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &r);
    }
}

void stop_on_signals(std::atomic<bool>* flag) noexcept {
    g_stop_flag = flag;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

void set_env(const char* name, const std::string& value) {
    setenv(name, value.c_str(), 1);
}

const char* provider_start_hint() noexcept {
    return "check --provider / RIOSP_PROVIDER_PATH and that io_uring or epoll is usable";
}

std::string loaded_provider_path() {
    if (const char* forced = std::getenv("RIOSP_PROVIDER_PATH"); forced != nullptr && *forced)
        return forced;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        auto slash = line.find('/');
        if (slash != std::string::npos && line.find("riosp_provider", slash) != std::string::npos)
            return line.substr(slash);
    }
    return {};
}

bool print_provider_allocator_stats() {
    const std::string path = loaded_provider_path();
    void* module = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    using PrintFn = void (*)(void (*)(const char*, void*), void*);
    auto print = module == nullptr
                     ? nullptr
                     : reinterpret_cast<PrintFn>(dlsym(module, "riospPrintAllocatorStats"));
    if (print == nullptr)
        return false;
    print([](const char* line, void*) { std::fputs(line, stdout); }, nullptr);
    dlclose(module); // drops only the reference RTLD_NOLOAD took
    return true;
}

int run_script(const std::string& script, const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(script.c_str()));
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    // environ: the child sees the RIOSP_* settings this process made.
    if (posix_spawn(&pid, script.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string executable_dir() {
    std::string exe(4096, '\0');
    const ssize_t n = readlink("/proc/self/exe", exe.data(), exe.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= exe.size())
        return {};
    exe.resize(static_cast<std::size_t>(n));
    return exe.substr(0, exe.rfind('/'));
}

void hard_exit(int code) noexcept {
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(code);
}

} // namespace riosp::load
