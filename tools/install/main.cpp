// riosp-install's entry point: parse, resolve the catalog functions, run, print.
#include "install.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace riosp::install;

namespace {

// ws2_32 loads the provider from the catalog path in every process, so a relative path given
// on the command line is made absolute against the current directory first.
std::wstring absolute(const std::wstring& path) {
    if (path.empty() || path.front() == L'%')
        return path;
    std::wstring full(MAX_PATH, L'\0');
    const DWORD n =
        GetFullPathNameW(path.c_str(), static_cast<DWORD>(full.size()), full.data(), nullptr);
    if (n == 0 || n >= full.size())
        return path;
    full.resize(n);
    return full;
}

} // namespace

int wmain(int argc, wchar_t** argv) {
    std::vector<std::wstring_view> args(argv + 1, argv + argc);
    auto parsed = parse_args(args);
    if (!parsed.ok()) {
        std::fwprintf(stderr, L"riosp-install: %ls\n%ls", parsed.error.c_str(), usage().c_str());
        return exit_usage;
    }
    Options options = parsed.options;
    if (options.command == Command::install) {
        options.dll_path = absolute(options.dll_path);
        if (options.dll_path.front() != L'%' &&
            GetFileAttributesW(options.dll_path.c_str()) == INVALID_FILE_ATTRIBUTES) {
            std::fwprintf(stderr, L"riosp-install: %ls does not exist\n", options.dll_path.c_str());
            return exit_usage;
        }
    }
    WSADATA data;
    if (const int error = WSAStartup(MAKEWORD(2, 2), &data); error != 0) {
        std::fwprintf(stderr, L"%ls\n", error_message(L"WSAStartup", error).c_str());
        return exit_failed;
    }
    Output output;
    const int code = run(options, load_wsc_api(), output);
    std::fputws(output.out.c_str(), stdout);
    std::fputws(output.err.c_str(), stderr);
    WSACleanup();
    return code;
}
