// Process-level helpers that need the platform's headers: memory, limits, signals, the
// environment, the loaded provider module. One implementation per platform: sys_posix.cpp,
// sys_win.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace riosp::load {

// Resident set size in bytes (Linux: /proc/self/statm; Windows: the working set), 0 if unknown.
[[nodiscard]] std::uint64_t rss_bytes() noexcept;
// Virtual memory size in bytes (Linux: the same file; Windows: the private commit), 0 if
// unknown.
[[nodiscard]] std::uint64_t vm_bytes() noexcept;
// Raises the soft open-files limit to the hard one (sockets for the memory probe; nothing to do
// on Windows, where sockets are not descriptors).
void raise_fd_limit() noexcept;
// SIGINT/SIGTERM (Windows: Ctrl-C, Ctrl-Break, the console closing) set *flag instead of
// killing the process.
void stop_on_signals(std::atomic<bool>* flag) noexcept;
void set_env(const char* name, const std::string& value);
// What to check when WSAStartup cannot start the provider, for the one-line message.
[[nodiscard]] const char* provider_start_hint() noexcept;
// Whether the loaded provider module (Linux: a mapping whose path contains "riosp_provider";
// Windows: the module LoadLibrary found for the same name; or $RIOSP_PROVIDER_PATH) contains
// `needle` in its file, e.g. an environment variable's name. 1 yes, 0 no, -1 the module was not
// found.
[[nodiscard]] int provider_mentions(const std::string& needle);
// Path of the loaded provider module ($RIOSP_PROVIDER_PATH or the mapping; on Windows the
// module's full path), or empty.
[[nodiscard]] std::string loaded_provider_path();
// Prints the provider's mimalloc statistics (riospPrintAllocatorStats); false if the loaded
// provider does not export them.
bool print_provider_allocator_stats();
// Runs a script (tools/plot) with these arguments and waits: its exit status, or -1 when it
// could not be started. POSIX: the script itself (its #! line picks the interpreter); Windows:
// through `python`, which runs a script whatever its name.
[[nodiscard]] int run_script(const std::string& script, const std::vector<std::string>& args);
// The folder of this executable (Linux: /proc/self/exe; Windows: GetModuleFileName), or empty.
[[nodiscard]] std::string executable_dir();
// Ends the process at once (the watchdog): no destructors, no atexit handlers.
[[noreturn]] void hard_exit(int code) noexcept;

} // namespace riosp::load
