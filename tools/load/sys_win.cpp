// The process helpers on Windows (no riosp headers here); sys_posix.cpp is the Linux twin.
#include "sys.h"

#include <windows.h>

#include <psapi.h>

#include <process.h>

#include <cstdio>
#include <cstdlib>

namespace riosp::load {
namespace {

std::atomic<bool>* g_stop_flag = nullptr;

BOOL WINAPI on_console_event(DWORD event) {
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT && event != CTRL_CLOSE_EVENT)
        return FALSE;
    g_stop_flag->store(true);
    return TRUE;
}

bool memory(PROCESS_MEMORY_COUNTERS_EX& counters) noexcept {
    return GetProcessMemoryInfo(GetCurrentProcess(),
                                reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&counters),
                                sizeof counters) != 0;
}

// The loaded provider: the module LoadLibrary found for the name the host asked for
// ($RIOSP_PROVIDER_PATH, else riosp_provider.dll beside the exe).
HMODULE provider_module() noexcept {
    const char* forced = std::getenv("RIOSP_PROVIDER_PATH");
    return GetModuleHandleA(forced != nullptr && *forced ? forced : "riosp_provider.dll");
}

} // namespace

std::uint64_t rss_bytes() noexcept {
    PROCESS_MEMORY_COUNTERS_EX c{};
    return memory(c) ? c.WorkingSetSize : 0;
}

std::uint64_t vm_bytes() noexcept {
    PROCESS_MEMORY_COUNTERS_EX c{};
    return memory(c) ? c.PrivateUsage : 0;
}

void raise_fd_limit() noexcept {}

void stop_on_signals(std::atomic<bool>* flag) noexcept {
    g_stop_flag = flag;
    (void)SetConsoleCtrlHandler(on_console_event, TRUE);
}

void set_env(const char* name, const std::string& value) {
    // The CRT's copy and the process environment both: the host reads the first (getenv), the
    // provider DLL, loaded later, may read either.
    (void)_putenv_s(name, value.c_str());
    (void)SetEnvironmentVariableA(name, value.c_str());
}

const char* provider_start_hint() noexcept {
    return "check --provider / RIOSP_PROVIDER_PATH (default: riosp_provider.dll beside "
           "riosp-load.exe)";
}

std::string loaded_provider_path() {
    char path[MAX_PATH * 2] = {};
    HMODULE module = provider_module();
    const DWORD n = module == nullptr ? 0 : GetModuleFileNameA(module, path, sizeof path);
    if (n > 0 && n < sizeof path)
        return std::string(path, n);
    const char* forced = std::getenv("RIOSP_PROVIDER_PATH");
    return forced != nullptr ? forced : "";
}

bool print_provider_allocator_stats() {
    HMODULE module = provider_module();
    using PrintFn = void (*)(void (*)(const char*, void*), void*);
    auto print = module == nullptr ? nullptr
                                   : reinterpret_cast<PrintFn>(reinterpret_cast<void*>(
                                         GetProcAddress(module, "riospPrintAllocatorStats")));
    if (print == nullptr)
        return false;
    print([](const char* line, void*) { std::fputs(line, stdout); }, nullptr);
    return true;
}

int run_script(const std::string& script, const std::vector<std::string>& args) {
    // _spawnvp joins the arguments with spaces: quote each (paths may hold spaces).
    std::vector<std::string> quoted{"python", "\"" + script + "\""};
    for (const auto& a : args)
        quoted.push_back("\"" + a + "\"");
    std::vector<const char*> argv;
    for (const auto& q : quoted)
        argv.push_back(q.c_str());
    argv.push_back(nullptr);
    const intptr_t rc = _spawnvp(_P_WAIT, "python", argv.data());
    return rc < 0 ? -1 : static_cast<int>(rc);
}

std::string executable_dir() {
    char exe[MAX_PATH];
    const DWORD n = GetModuleFileNameA(nullptr, exe, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return {};
    const std::string path(exe, n);
    return path.substr(0, path.find_last_of("\\/"));
}

void hard_exit(int code) noexcept {
    std::fflush(stdout);
    std::fflush(stderr);
    // Not ExitProcess: it would run the provider's DLL detach with its workers killed mid-call.
    TerminateProcess(GetCurrentProcess(), static_cast<UINT>(code));
    std::_Exit(code); // not reached
}

} // namespace riosp::load
