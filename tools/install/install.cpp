#include "install.h"

#include "catalog.h"

#include <algorithm>
#include <cstring>
#include <cwctype>

namespace riosp::install {
namespace {

bool iequals_suffix(std::wstring_view s, std::wstring_view suffix) {
    if (s.size() < suffix.size())
        return false;
    s.remove_prefix(s.size() - suffix.size());
    return std::equal(s.begin(), s.end(), suffix.begin(), [](wchar_t a, wchar_t b) {
        return std::towlower(static_cast<wint_t>(a)) == std::towlower(static_cast<wint_t>(b));
    });
}

// An error's name, empty when it has none: any code of riosp's WSA table, and the one Win32
// error the catalog functions answer besides them.
std::wstring error_name(int error) {
    if (error == ERROR_ACCESS_DENIED)
        return L"ERROR_ACCESS_DENIED";
    const std::string_view name = wsa::known_name(error);
    return {name.begin(), name.end()}; // the names are ASCII
}

std::wstring_view family_name(int af) {
    switch (af) {
    case AF_INET:
        return L"IPv4";
    case AF_INET6:
        return L"IPv6";
    default:
        return {};
    }
}

std::wstring_view type_name(int type) {
    switch (type) {
    case SOCK_STREAM:
        return L"stream";
    case SOCK_DGRAM:
        return L"dgram";
    case SOCK_RAW:
        return L"raw";
    case SOCK_SEQPACKET:
        return L"seqpacket";
    default:
        return {};
    }
}

std::wstring pad(std::wstring s, std::size_t width) {
    s.append(s.size() < width ? width - s.size() : 1, L' '); // always one space at least
    return s;
}

std::wstring named_or_number(std::wstring_view name, int value) {
    return name.empty() ? std::to_wstring(value) : std::wstring(name);
}

// The whole catalog through WSCEnumProtocols[32]: 0 or the error.
int enumerate(WscApi::Enum fn, std::vector<WSAPROTOCOL_INFOW>& out) {
    for (int attempt = 0; attempt < 4; ++attempt) {
        DWORD bytes = static_cast<DWORD>(out.size() * sizeof(WSAPROTOCOL_INFOW));
        int error = 0;
        const int n = fn(nullptr, out.empty() ? nullptr : out.data(), &bytes, &error);
        if (n != SOCKET_ERROR) {
            out.resize(static_cast<std::size_t>(n));
            return 0;
        }
        if (error != WSAENOBUFS)
            return error == 0 ? WSASYSCALLFAILURE : error;
        out.resize(bytes / sizeof(WSAPROTOCOL_INFOW) + 1); // the catalog may grow meanwhile
    }
    return WSAENOBUFS;
}

struct Catalog {
    std::wstring_view label; // "64-bit" / "32-bit"
    WscApi::Enum enumerate;
    WscApi::Deinstall deinstall;
    WscApi::WriteOrder write_order;
};

std::vector<Catalog> catalogs(const Options& options, const WscApi& api) {
    std::vector<Catalog> result{{L"64-bit", api.enum_protocols, api.deinstall, api.write_order}};
    if (!options.only_64)
        result.push_back({L"32-bit", api.enum_protocols32, api.deinstall32, api.write_order32});
    return result;
}

std::wstring missing(std::wstring_view function) {
    std::wstring line = L"riosp-install: ";
    line += function;
    line += L" is not exported by this ws2_32.dll (Wine or an old Windows); "
            L"try --64-only\n";
    return line;
}

std::size_t count_riosp(std::span<const WSAPROTOCOL_INFOW> catalog) {
    return static_cast<std::size_t>(std::count_if(catalog.begin(), catalog.end(), is_riosp_entry));
}

int write_order(const Catalog& catalog, Position position, Output& output) {
    if (catalog.enumerate == nullptr || catalog.write_order == nullptr) {
        output.err += missing(catalog.label == L"64-bit" ? L"WSCWriteProviderOrder"
                                                         : L"WSCWriteProviderOrder32");
        return exit_failed;
    }
    std::vector<WSAPROTOCOL_INFOW> entries;
    if (const int error = enumerate(catalog.enumerate, entries); error != 0) {
        output.err += error_message(L"reading the catalog", error) + L'\n';
        return exit_failed;
    }
    if (count_riosp(entries) == 0) {
        output.err += L"riosp-install: riosp is not in the " + std::wstring(catalog.label) +
                      L" catalog; nothing to order\n";
        return exit_failed;
    }
    auto ids = provider_order(entries, position);
    if (const int error = catalog.write_order(ids.data(), static_cast<DWORD>(ids.size()));
        error != 0) {
        output.err += error_message(L"writing the provider order", error) + L'\n';
        return exit_failed;
    }
    output.out += L"riosp's entries are now " +
                  std::wstring(position == Position::first ? L"first" : L"last") + L" in the " +
                  std::wstring(catalog.label) + L" catalog\n";
    return exit_ok;
}

int do_install(const Options& options, const WscApi& api, Output& output) {
    if (auto reason = check_dll_path(options.dll_path); !reason.empty()) {
        output.err += L"riosp-install: " + reason + L'\n';
        return exit_usage;
    }
    const auto install = options.only_64 ? api.install : api.install64_32;
    if (install == nullptr) {
        output.err += missing(options.only_64 ? L"WSCInstallProvider" : L"WSCInstallProvider64_32");
        return exit_failed;
    }
    if (api.enum_protocols != nullptr) {
        std::vector<WSAPROTOCOL_INFOW> entries;
        if (enumerate(api.enum_protocols, entries) == 0 && count_riosp(entries) != 0) {
            output.err += L"riosp-install: riosp is already installed; run "
                          L"'riosp-install remove' first\n";
            return exit_failed;
        }
    }
    auto entries = catalog_entries();
    GUID id = provider_id();
    int error = 0;
    if (install(&id, options.dll_path.c_str(), entries.data(), static_cast<DWORD>(entries.size()),
                &error) == SOCKET_ERROR) {
        output.err += error_message(L"installing the provider", error) + L'\n';
        return exit_failed;
    }
    output.out +=
        L"installed riosp TCP and UDP over IPv4 and IPv6 (" + options.dll_path + L") into the " +
        std::wstring(options.only_64 ? L"64-bit catalog" : L"64-bit and 32-bit catalogs") + L'\n';
    if (!options.position)
        return exit_ok;
    for (const auto& catalog : catalogs(options, api))
        if (const int code = write_order(catalog, *options.position, output); code != exit_ok)
            return code;
    return exit_ok;
}

int do_remove(const Options& options, const WscApi& api, Output& output) {
    int result = exit_ok;
    for (const auto& catalog : catalogs(options, api)) {
        if (catalog.deinstall == nullptr) {
            output.err += missing(catalog.label == L"64-bit" ? L"WSCDeinstallProvider"
                                                             : L"WSCDeinstallProvider32");
            result = exit_failed;
            continue;
        }
        if (catalog.enumerate != nullptr) {
            std::vector<WSAPROTOCOL_INFOW> entries;
            if (enumerate(catalog.enumerate, entries) == 0 && count_riosp(entries) == 0) {
                output.out += L"riosp is not in the " + std::wstring(catalog.label) +
                              L" catalog; nothing to remove\n";
                continue;
            }
        }
        GUID id = provider_id();
        int error = 0;
        if (catalog.deinstall(&id, &error) == SOCKET_ERROR) {
            output.err += error_message(L"removing the provider from the " +
                                            std::wstring(catalog.label) + L" catalog",
                                        error) +
                          L'\n';
            result = exit_failed;
            continue;
        }
        output.out += L"removed riosp from the " + std::wstring(catalog.label) + L" catalog\n";
    }
    return result;
}

int do_list(const Options& options, const WscApi& api, Output& output) {
    int result = exit_ok;
    for (const auto& catalog : catalogs(options, api)) {
        if (catalog.enumerate == nullptr) {
            output.err +=
                missing(catalog.label == L"64-bit" ? L"WSCEnumProtocols" : L"WSCEnumProtocols32");
            result = exit_failed;
            continue;
        }
        std::vector<WSAPROTOCOL_INFOW> entries;
        if (const int error = enumerate(catalog.enumerate, entries); error != 0) {
            output.err += error_message(L"reading the catalog", error) + L'\n';
            result = exit_failed;
            continue;
        }
        output.out += std::wstring(catalog.label) + L" catalog (* = riosp):\n";
        for (const auto& entry : entries)
            output.out += describe_entry(entry) + L'\n';
        output.out += L"riosp: " + std::to_wstring(count_riosp(entries)) + L" of " +
                      std::to_wstring(entries.size()) + L" entries\n";
    }
    return result;
}

} // namespace

std::wstring check_dll_path(std::wstring_view path) {
    if (path.empty())
        return L"the DLL path is empty";
    if (!iequals_suffix(path, L".dll"))
        return L"'" + std::wstring(path) + L"' does not name a .dll";
    const bool drive = path.size() >= 3 && std::iswalpha(static_cast<wint_t>(path[0])) &&
                       path[1] == L':' && (path[2] == L'\\' || path[2] == L'/');
    const bool unc = path.size() >= 2 && path[0] == L'\\' && path[1] == L'\\';
    const bool env = path.front() == L'%' && path.find(L'%', 1) != std::wstring_view::npos;
    if (!drive && !unc && !env)
        return L"'" + std::wstring(path) +
               L"' is relative: every process loads the provider from this path, so give it "
               L"absolute (C:\\...) or from a variable (%SystemRoot%\\...)";
    if (path.size() >= MAX_PATH)
        return L"the DLL path is longer than MAX_PATH";
    return {};
}

GUID provider_id() noexcept {
    return provider::provider_guid;
}

std::vector<WSAPROTOCOL_INFOW> catalog_entries() {
    const auto source = provider::protocol_catalog();
    std::vector<WSAPROTOCOL_INFOW> entries(source.begin(), source.end());
    for (auto& e : entries) {
        e.dwCatalogEntryId = 0; // Winsock assigns the ids
        e.ProtocolChain = {};
        e.ProtocolChain.ChainLen = BASE_PROTOCOL;
        e.ProviderId = provider::provider_guid;
    }
    return entries;
}

bool is_riosp_entry(const WSAPROTOCOL_INFOW& info) noexcept {
    return std::memcmp(&info.ProviderId, &provider::provider_guid, sizeof(GUID)) == 0;
}

std::vector<DWORD> provider_order(std::span<const WSAPROTOCOL_INFOW> catalog, Position position) {
    std::vector<DWORD> ids;
    ids.reserve(catalog.size());
    const bool riosp_first = position == Position::first;
    for (const bool pass_riosp : {riosp_first, !riosp_first})
        for (const auto& entry : catalog)
            if (is_riosp_entry(entry) == pass_riosp)
                ids.push_back(entry.dwCatalogEntryId);
    return ids;
}

std::wstring describe_entry(const WSAPROTOCOL_INFOW& info) {
    std::wstring line = is_riosp_entry(info) ? L"* " : L"  ";
    auto id = std::to_wstring(info.dwCatalogEntryId);
    line += std::wstring(id.size() < 6 ? 6 - id.size() : 0, L' ') + id + L"  ";
    line += pad(named_or_number(family_name(info.iAddressFamily), info.iAddressFamily), 6);
    line += pad(named_or_number(type_name(info.iSocketType), info.iSocketType), 10);
    line += pad(L"proto " + std::to_wstring(info.iProtocol), 10);
    const int chain = info.ProtocolChain.ChainLen;
    line += pad(chain == LAYERED_PROTOCOL ? L"layered"
                : chain == BASE_PROTOCOL  ? L"base"
                                          : L"chain " + std::to_wstring(chain),
                9);
    const auto* name = info.szProtocol;
    line.append(name, wcsnlen(name, WSAPROTOCOL_LEN + 1));
    return line;
}

std::wstring error_message(std::wstring_view operation, int error) {
    std::wstring line = L"riosp-install: " + std::wstring(operation) + L" failed: ";
    const std::wstring name = error_name(error);
    line += name.empty() ? L"error " + std::to_wstring(error)
                         : name + L" (" + std::to_wstring(error) + L")";
    if (error == WSAEACCES || error == ERROR_ACCESS_DENIED)
        line += L" - the Winsock catalog needs Administrator rights: run riosp-install from an "
                L"elevated prompt";
    else if (error == WSANO_RECOVERY)
        line += L" - the catalog could not be opened (not elevated, or being changed)";
    return line;
}

int run(const Options& options, const WscApi& api, Output& output) {
    switch (options.command) {
    case Command::help:
        output.out += usage();
        return exit_ok;
    case Command::install:
        return do_install(options, api, output);
    case Command::remove:
        return do_remove(options, api, output);
    case Command::list:
        return do_list(options, api, output);
    case Command::order: {
        if (!options.position) {
            output.err += L"riosp-install: order needs first or last\n";
            return exit_usage;
        }
        int result = exit_ok;
        for (const auto& catalog : catalogs(options, api))
            if (const int code = write_order(catalog, *options.position, output); code != exit_ok)
                result = code;
        return result;
    }
    }
    return exit_usage;
}

namespace {
template <class Fn> Fn resolve(HMODULE module, const char* name) noexcept {
    // GetProcAddress's FARPROC is a generic function pointer; the real type is the named one.
    return module == nullptr
               ? nullptr
               : reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(module, name)));
}
} // namespace

WscApi load_wsc_api() noexcept {
    HMODULE ws2 = LoadLibraryW(L"ws2_32.dll"); // kept loaded for the process's life
    WscApi api;
    api.install64_32 = resolve<WscApi::Install>(ws2, "WSCInstallProvider64_32");
    api.install = resolve<WscApi::Install>(ws2, "WSCInstallProvider");
    api.deinstall = resolve<WscApi::Deinstall>(ws2, "WSCDeinstallProvider");
    api.deinstall32 = resolve<WscApi::Deinstall>(ws2, "WSCDeinstallProvider32");
    api.enum_protocols = resolve<WscApi::Enum>(ws2, "WSCEnumProtocols");
    api.enum_protocols32 = resolve<WscApi::Enum>(ws2, "WSCEnumProtocols32");
    api.write_order = resolve<WscApi::WriteOrder>(ws2, "WSCWriteProviderOrder");
    api.write_order32 = resolve<WscApi::WriteOrder>(ws2, "WSCWriteProviderOrder32");
    return api;
}

} // namespace riosp::install
