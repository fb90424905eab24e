// riosp-install: puts riosp's protocol entries (TCP/IPv4, TCP/IPv6) into the Winsock catalog,
// removes them, lists the catalog and moves riosp's entries to the front or back.
//
// Everything except wmain lives here so that tests can drive it: the pure parts (arguments,
// entries, order, messages) and run(), which reaches the catalog only through a WscApi table.
#pragma once

#include <riosp/spi.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace riosp::install {

enum class Command { help, install, remove, list, order };
enum class Position { first, last };

struct Options {
    Command command = Command::help;
    std::wstring dll_path;            // install: where ws2_32 loads the provider from
    bool only_64 = false;             // --64-only: leave the 32-bit catalog alone
    std::optional<Position> position; // install --first/--last, order first|last
};

struct ParseResult {
    Options options;
    std::wstring error; // one line; empty when the arguments are valid
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// args: the command line without the program name. Parsed by CLI11 (args.cpp).
[[nodiscard]] ParseResult parse_args(std::span<const std::wstring_view> args);
// CLI11's help for every command and option (args.cpp).
[[nodiscard]] std::wstring usage();
// Empty when ws2_32 can load the provider from `path` in every process: absolute (drive or UNC)
// or starting with an environment variable (%SystemRoot%\...), ending in .dll. Else the reason.
[[nodiscard]] std::wstring check_dll_path(std::wstring_view path);

// The entries handed to WSCInstallProvider*: provider/catalog.cpp's, with the catalog entry id
// left to Winsock (0) and a one-element base-provider chain.
[[nodiscard]] std::vector<WSAPROTOCOL_INFOW> catalog_entries();
[[nodiscard]] GUID provider_id() noexcept;
[[nodiscard]] bool is_riosp_entry(const WSAPROTOCOL_INFOW& info) noexcept;
// Every catalog entry id of `catalog`, riosp's moved to the front or back; the relative order
// of the others (and of riosp's own) is kept. WSCWriteProviderOrder takes exactly this.
[[nodiscard]] std::vector<DWORD> provider_order(std::span<const WSAPROTOCOL_INFOW> catalog,
                                                Position position);
// One line of `list`: '*' for riosp's entries, id, family, type, protocol, chain, name.
[[nodiscard]] std::wstring describe_entry(const WSAPROTOCOL_INFOW& info);
// One line: what failed, the code by name, and what to do (elevation for access denied).
[[nodiscard]] std::wstring error_message(std::wstring_view operation, int error);

// The catalog functions, resolved at run time from ws2_32.dll: Wine (and old Windows) lack the
// 32-bit-catalog ones, and a missing import must be an error message, not a loader failure.
struct WscApi {
    using Install = int(WSPAPI*)(LPGUID, const WCHAR*, LPWSAPROTOCOL_INFOW, DWORD, LPINT);
    using Deinstall = int(WSPAPI*)(LPGUID, LPINT);
    using Enum = int(WSPAPI*)(LPINT, LPWSAPROTOCOL_INFOW, LPDWORD, LPINT);
    using WriteOrder = int(WSPAPI*)(LPDWORD, DWORD);
    Install install64_32 = nullptr; // WSCInstallProvider64_32: both catalogs
    Install install = nullptr;      // WSCInstallProvider: the 64-bit catalog
    Deinstall deinstall = nullptr;
    Deinstall deinstall32 = nullptr;
    Enum enum_protocols = nullptr;
    Enum enum_protocols32 = nullptr;
    WriteOrder write_order = nullptr;
    WriteOrder write_order32 = nullptr;
};
[[nodiscard]] WscApi load_wsc_api() noexcept;

struct Output {
    std::wstring out;
    std::wstring err;
};
// Exit codes of run().
inline constexpr int exit_ok = 0;
inline constexpr int exit_usage = 1;
inline constexpr int exit_failed = 2;
// Carries out a parsed command against the catalog functions in `api`.
[[nodiscard]] int run(const Options& options, const WscApi& api, Output& output);

} // namespace riosp::install
