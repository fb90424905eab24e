// riosp-install's command line on CLI11: the commands are CLI11 subcommands, --help is CLI11's.
// The options are global (each subcommand falls through to them) so that a misplaced --first
// gets its own message rather than "unknown option"; the rules between them, and every message,
// are here. Windows hands the arguments over as UTF-16 and CLI11 parses UTF-8: converted both
// ways.
#include "install.h"

#include "suggest.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace riosp::install {
namespace {

std::string narrow(std::wstring_view w) {
    if (w.empty())
        return {};
    const int wide_size = static_cast<int>(w.size());
    const int n =
        WideCharToMultiByte(CP_UTF8, 0, w.data(), wide_size, nullptr, 0, nullptr, nullptr);
    std::string s(static_cast<std::size_t>(n), '\0');
    WideCharToMultiByte(CP_UTF8, 0, w.data(), wide_size, s.data(), n, nullptr, nullptr);
    return s;
}

std::wstring widen(std::string_view s) {
    if (s.empty())
        return {};
    const int narrow_size = static_cast<int>(s.size());
    const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), narrow_size, nullptr, 0);
    std::wstring w(static_cast<std::size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, s.data(), narrow_size, w.data(), n);
    return w;
}

// The parser and what it fills; built the same way for parse_args() and usage().
struct Cli {
    CLI::App app{"riosp-install: riosp's protocol entries in the Winsock catalog.",
                 "riosp-install"};
    bool only_64 = false;
    bool first = false;
    bool last = false;
    std::vector<std::string> dll;      // install's operand (all of them, to count)
    std::vector<std::string> position; // order's operand
    CLI::App* install = nullptr;
    CLI::App* remove = nullptr;
    CLI::App* list = nullptr;
    CLI::App* order = nullptr;

    Cli() {
        app.set_help_flag("-h,--help", "this text");
        app.footer("install, remove and order change the Winsock catalog: run them elevated "
                   "(Administrator).\nWithout --64-only they apply to the 64-bit and the 32-bit "
                   "catalog.");
        // Unknown arguments are kept, not thrown: the messages name them (and a near option).
        app.allow_extras();
        app.require_subcommand(0, 1);
        app.add_flag("--64-only", only_64, "leave the 32-bit catalog alone");
        app.add_flag("--first", first, "install: put riosp's entries before the others");
        app.add_flag("--last", last, "install: put riosp's entries after the others");
        install = app.add_subcommand("install", "install <path\\to\\riosp_provider.dll> "
                                                "[--first|--last] [--64-only]");
        install->add_option("dll", dll, "riosp_provider.dll, absolute or from %SystemRoot%");
        remove = app.add_subcommand("remove", "remove riosp's entries [--64-only]");
        list = app.add_subcommand("list", "list the catalog, '*' marks riosp's [--64-only]");
        order = app.add_subcommand("order", "order first|last [--64-only]: move riosp's entries");
        order->add_option("position", position, "first or last")->type_name("first|last");
        for (CLI::App* command : {install, remove, list, order})
            command->fallthrough()->allow_extras();
    }
};

} // namespace

std::wstring usage() {
    return widen(Cli{}.app.help());
}

ParseResult parse_args(std::span<const std::wstring_view> args) {
    ParseResult r;
    auto fail = [&r](std::wstring message) {
        r.error = std::move(message);
        return r;
    };
    if (args.empty())
        return fail(L"no command given (install, remove, list, order)");
    // Spellings CLI11 does not know: the word and Windows' own.
    if (args.front() == L"help" || args.front() == L"/?") {
        r.options.command = Command::help;
        return r;
    }
    Cli cli;
    std::vector<std::string> argv;
    // CLI11 takes the arguments last first.
    for (auto it = args.rbegin(); it != args.rend(); ++it)
        argv.push_back(narrow(*it));
    try {
        cli.app.parse(std::move(argv));
    } catch (const CLI::CallForHelp&) {
        r.options.command = Command::help;
        return r;
    } catch (const CLI::ParseError& e) {
        return fail(widen(e.what()));
    }
    const auto subcommands = cli.app.get_subcommands();
    const CLI::App* command = subcommands.empty() ? nullptr : subcommands.front();
    const auto extra = cli.app.remaining(true);
    for (const std::string& arg : extra)
        if (arg.size() > 1 && arg.front() == '-')
            return fail(widen(cli::unknown_option(cli.app, arg)));
    if (!command)
        return fail(extra.empty() ? L"no command given (install, remove, list, order)"
                                  : L"unknown command '" + widen(extra.front()) + L"'");
    if (command == cli.install)
        r.options.command = Command::install;
    else if (command == cli.remove)
        r.options.command = Command::remove;
    else if (command == cli.list)
        r.options.command = Command::list;
    else
        r.options.command = Command::order;
    r.options.only_64 = cli.only_64;
    if (cli.first || cli.last) {
        if (r.options.command != Command::install)
            return fail(std::wstring(cli.first ? L"--first" : L"--last") +
                        L" is only for install (use 'order first|last')");
        if (cli.first && cli.last)
            return fail(L"--first and --last exclude each other");
        r.options.position = cli.first ? Position::first : Position::last;
    }
    if (!extra.empty())
        return fail(L"unexpected argument '" + widen(extra.front()) + L"'");
    switch (r.options.command) {
    case Command::install:
        if (cli.dll.empty())
            return fail(L"install needs the path of riosp_provider.dll");
        if (cli.dll.size() > 1)
            return fail(L"install takes one DLL path, got " + std::to_wstring(cli.dll.size()));
        r.options.dll_path = widen(cli.dll.front());
        break;
    case Command::order:
        if (cli.position.size() != 1 ||
            (cli.position.front() != "first" && cli.position.front() != "last"))
            return fail(L"order needs exactly one of 'first' or 'last'");
        r.options.position = cli.position.front() == "first" ? Position::first : Position::last;
        break;
    default:
        break;
    }
    return r;
}

} // namespace riosp::install
