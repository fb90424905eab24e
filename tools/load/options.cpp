// Command-line parsing on CLI11: it splits the command line, writes --help and names unknown
// options; the values' meanings and every message stay here. Sizes take K/M/G suffixes (powers
// of 1024), durations s/ms suffixes.
#include "options.h"

#include "suggest.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>
#include <system_error>

namespace riosp::load {
namespace {

bool parse_u64(const std::string& s, std::uint64_t& out) {
    if (s.empty())
        return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

bool parse_size(std::string s, std::uint64_t& out) {
    std::uint64_t mul = 1;
    if (!s.empty()) {
        switch (s.back()) {
        case 'k':
        case 'K':
            mul = 1024;
            break;
        case 'm':
        case 'M':
            mul = 1024 * 1024;
            break;
        case 'g':
        case 'G':
            mul = 1024ull * 1024 * 1024;
            break;
        default:
            break;
        }
        if (mul != 1)
            s.pop_back();
        else if (s.back() == 'B' || s.back() == 'b')
            s.pop_back();
    }
    std::uint64_t v = 0;
    if (!parse_u64(s, v) || v > (~std::uint64_t{0}) / mul)
        return false;
    out = v * mul;
    return true;
}

bool parse_seconds(std::string s, double& out) {
    double mul = 1;
    if (s.size() > 2 && s.compare(s.size() - 2, 2, "ms") == 0) {
        mul = 0.001;
        s.resize(s.size() - 2);
    } else if (!s.empty() && s.back() == 's') {
        s.pop_back();
    }
    if (s.empty())
        return false;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(v) || v < 0)
        return false;
    out = v * mul;
    return true;
}

} // namespace

const char* name_of(Role r) noexcept {
    switch (r) {
    case Role::embedded:
        return "embedded";
    case Role::server:
        return "server";
    case Role::client:
        return "client";
    }
    return "?";
}
const char* name_of(Pattern p) noexcept {
    switch (p) {
    case Pattern::push:
        return "push";
    case Pattern::pull:
        return "pull";
    case Pattern::pingpong:
        return "pingpong";
    case Pattern::duplex:
        return "duplex";
    }
    return "?";
}
const char* name_of(Shutdown s) noexcept {
    switch (s) {
    case Shutdown::graceful:
        return "graceful";
    case Shutdown::rude:
        return "rude";
    case Shutdown::random:
        return "random";
    }
    return "?";
}

const char* name_of(Protocol p) noexcept {
    return p == Protocol::udp ? "udp" : "tcp";
}

namespace {

// A bad value: the option's one-line message, which parse() hands to main unchanged.
[[noreturn]] void bad(const std::string& message) {
    throw CLI::ValidationError(message);
}

// What parse() needs besides Options: which options were given, in command-line order.
struct Given {
    std::string role;
    bool duration = false;
    bool baseline = false;
    bool listen = false;
    bool connect = false;
    // Options of one protocol only, as given: the other protocol rejects them.
    std::vector<std::string> tcp_only, udp_only;
};

// CLI11 2.1 prints a description on one line however long; wrapped here to fit a terminal.
std::string wrap(std::string_view text, std::size_t width = 72) {
    std::string out;
    std::size_t line = 0;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find(' '), text.size());
        if (line > 0 && line + 1 + end > width) {
            out += '\n';
            line = 0;
        } else if (line > 0) {
            out += ' ';
            ++line;
        }
        out += text.substr(0, end);
        line += end;
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return out;
}

// Every option converts its value as CLI11 meets it (trigger_on_parse), so the first bad
// argument on the command line is the one reported and a repeated option's last value wins.
class Builder {
public:
    explicit Builder(CLI::App& app) : app_(app) {}
    void group(const char* name) { group_ = name; }
    void value(const char* name, const char* type, const char* help,
               std::function<void(const std::string&)> set) {
        app_.add_option_function<std::string>(name, std::move(set), wrap(help))
            ->type_name(type)
            ->trigger_on_parse()
            ->group(group_);
    }
    void flag(const char* name, const char* help, std::function<void()> set) {
        app_.add_flag_callback(name, std::move(set), wrap(help))->trigger_on_parse()->group(group_);
    }

private:
    CLI::App& app_;
    std::string group_ = "Options";
};

void add_options(CLI::App& app, Options& o, Given& g) {
    Builder b(app);
    app.add_option("role", g.role,
                   wrap("none: embedded, server and clients in this process on 127.0.0.1 "
                        "(default); server: serve connections on --listen until --duration / "
                        "--connections / Ctrl-C; client: connect to --connect, whose hello sets "
                        "the workload"))
        ->type_name("server|client");
    b.value("--protocol", "tcp|udp",
            "tcp: the connection workload (default); udp: request/response datagrams between "
            "client and server sockets in this process (embedded role only), every datagram "
            "verified, lost/duplicated/reordered counted. With udp: --connections = flows (0 = "
            "one per thread), --concurrency = client threads and server sockets, "
            "--message-size = datagram size with the 32-byte header, 32 to 65507",
            [&](const std::string& v) {
                if (v == "tcp")
                    o.protocol = Protocol::tcp;
                else if (v == "udp")
                    o.protocol = Protocol::udp;
                else
                    bad("--protocol: '" + v + "' is not tcp or udp");
            });

    b.group("Workload (embedded and server; a client follows the server's hello)");
    // Copied into the callbacks that use it: they run during parse(), after this function returned.
    auto workload = [&o, &g](const char* name) {
        o.workload_flags_given.emplace_back(name);
        g.tcp_only.emplace_back(name);
    };
    b.value("--pattern", "P", "push | pull | pingpong | duplex (default pingpong)",
            [&, workload](const std::string& v) {
                if (v == "push")
                    o.pattern = Pattern::push;
                else if (v == "pull")
                    o.pattern = Pattern::pull;
                else if (v == "pingpong" || v == "ping-pong")
                    o.pattern = Pattern::pingpong;
                else if (v == "duplex")
                    o.pattern = Pattern::duplex;
                else
                    bad("--pattern: '" + v + "' is not push, pull, pingpong or duplex");
                workload("--pattern");
            });
    b.value("--shutdown", "S", "graceful | rude | random (default random)",
            [&, workload](const std::string& v) {
                if (v == "graceful")
                    o.shutdown = Shutdown::graceful;
                else if (v == "rude")
                    o.shutdown = Shutdown::rude;
                else if (v == "random")
                    o.shutdown = Shutdown::random;
                else
                    bad("--shutdown: '" + v + "' is not graceful, rude or random");
                workload("--shutdown");
            });
    b.value("--message-size", "N", "bytes per send / ping-pong message, K/M (default 4K)",
            [&](const std::string& v) {
                std::uint64_t n = 0;
                if (!parse_size(v, n) || n == 0 || n > 16u * 1024 * 1024)
                    bad("--message-size: '" + v + "' is not a size from 1 to 16M");
                o.message_size = static_cast<std::uint32_t>(n);
                o.workload_flags_given.emplace_back("--message-size");
            });
    b.value("--bytes", "N", "bytes per connection and direction, K/M/G (default 64K)",
            [&, workload](const std::string& v) {
                if (!parse_size(v, o.bytes) || o.bytes > (1ull << 40))
                    bad("--bytes: '" + v + "' is not a size up to 1T");
                workload("--bytes");
            });

    b.group("Run");
    b.value("--connections", "N", "connections in total; 0 = until --duration (default 0)",
            [&](const std::string& v) {
                if (!parse_u64(v, o.connections))
                    bad("--connections: '" + v + "' is not a number");
            });
    b.value("--concurrency", "N", "client threads (and server connection threads) (default 4)",
            [&](const std::string& v) {
                std::uint64_t n = 0;
                if (!parse_u64(v, n) || n == 0 || n > 1024)
                    bad("--concurrency: '" + v + "' is not a number from 1 to 1024");
                o.concurrency = static_cast<unsigned>(n);
            });
    b.value("--duration", "T",
            "seconds (or 500ms) per run; 0 = no limit (default 10 with the baseline, 20 "
            "without; server 0)",
            [&](const std::string& v) {
                if (!parse_seconds(v, o.duration_s))
                    bad("--duration: '" + v + "' is not a duration (20, 20s, 500ms)");
                g.duration = true;
            });
    auto endpoint = [&](const char* name, Endpoint& e, bool& given) {
        return [&e, &given, name](const std::string& v) {
            std::string why;
            if (!parse_endpoint(v, e, why))
                bad(std::string(name) + ": '" + v + "': " + why);
            given = true;
        };
    };
    b.value("--listen", "HOST:PORT",
            "server address (server default 0.0.0.0:5001, embedded 127.0.0.1:0)",
            endpoint("--listen", o.listen, g.listen));
    b.value("--connect", "HOST:PORT", "client: the server to load",
            [&, set = endpoint("--connect", o.connect, g.connect)](const std::string& v) {
                set(v);
                g.tcp_only.emplace_back("--connect");
            });
    b.value("--seed", "N", "seed of the random shutdown choices (default 1)",
            [&](const std::string& v) {
                if (!parse_u64(v, o.seed))
                    bad("--seed: '" + v + "' is not a number");
                g.tcp_only.emplace_back("--seed");
            });
    b.value("--timeout", "T", "watchdog: fail a connection stuck this long (default 10s)",
            [&](const std::string& v) {
                if (!parse_seconds(v, o.timeout_s) || o.timeout_s < 0.1)
                    bad("--timeout: '" + v + "' is not a duration of at least 100ms");
            });

    b.group("UDP (--protocol udp)");
    b.value("--window", "N", "requests in flight per flow, 1 to 64 (default 4)",
            [&](const std::string& v) {
                std::uint64_t n = 0;
                if (!parse_u64(v, n) || n == 0 || n > 64)
                    bad("--window: '" + v + "' is not a number from 1 to 64");
                o.window = static_cast<unsigned>(n);
                g.udp_only.emplace_back("--window");
            });
    b.value("--loss-timeout", "T", "a request unanswered this long is lost (default 1s)",
            [&](const std::string& v) {
                if (!parse_seconds(v, o.loss_timeout_s) || o.loss_timeout_s < 0.01)
                    bad("--loss-timeout: '" + v + "' is not a duration of at least 10ms");
                g.udp_only.emplace_back("--loss-timeout");
            });
    b.flag("--strict",
           "lost, duplicated, reordered or late datagrams fail the run (exit 1); without it "
           "they are reported and only corrupted ones fail it",
           [&] {
               o.strict = true;
               g.udp_only.emplace_back("--strict");
           });

    b.group("Provider");
    b.value("--workers", "N", "RIOSP_WORKERS for the provider's worker pool (default: its own)",
            [&](const std::string& v) {
                std::uint64_t n = 0;
                if (!parse_u64(v, n) || n == 0 || n > 64)
                    bad("--workers: '" + v + "' is not a number from 1 to 64");
                o.workers = static_cast<unsigned>(n);
            });
    b.value("--busy-poll", "on|off", "RIOSP_BUSY_POLL=1 for the provider (default off)",
            [&](const std::string& v) {
                if (v == "on" || v == "1" || v == "true")
                    o.busy_poll = true;
                else if (v == "off" || v == "0" || v == "false")
                    o.busy_poll = false;
                else
                    bad("--busy-poll: '" + v + "' is not on or off");
            });
    b.value("--provider", "PATH",
            "the provider module riosp's host loads (RIOSP_PROVIDER_PATH). Without it, on "
            "Windows: riosp as installed in the Winsock catalog (riosp-install) through ws2_32, "
            "else riosp_provider.dll beside the exe through the host; on Linux the installed "
            "provider (an installed riosp-load), else the build's libriosp_provider.so",
            [&](const std::string& v) {
                if (v.empty())
                    bad("--provider needs a path");
                o.provider = v;
            });

    b.group("Output");
    b.flag("--baseline",
           "after the riosp run, the same workload over the system's own sockets (BSD sockets "
           "on Linux, the system's Winsock provider on Windows), and the ratio column (default "
           "in the embedded role)",
           [&] {
               o.baseline = true;
               g.baseline = true;
           });
    b.flag("--no-baseline", "the riosp run only", [&] {
        o.baseline = false;
        o.baseline_only = false;
        g.baseline = true;
    });
    b.flag("--baseline-only", "the raw-socket run only (no provider loaded): the reference", [&] {
        o.baseline = true;
        o.baseline_only = true;
        g.baseline = true;
    });
    b.flag("--allocator-stats",
           "print the provider's mimalloc statistics (socket slabs, registered regions) after "
           "the riosp run",
           [&] { o.allocator_stats = true; });
    b.value("--json", "FILE", "write the summary as JSON",
            [&](const std::string& v) { o.json_file = v; });
    b.value("--csv", "FILE", "write one row per connection",
            [&](const std::string& v) { o.csv_file = v; });
    b.value("--plot", "FILE",
            "draw the run as FILE (.svg or .png): per-second rates and latency CDFs, riosp "
            "beside the baseline (tools/plot, matplotlib)",
            [&](const std::string& v) { o.plot_file = v; });
    b.value("--mem-probe", "N",
            "idle connected pairs for the memory-per-socket figure (default 256, 0 off)",
            [&](const std::string& v) {
                std::uint64_t n = 0;
                if (!parse_u64(v, n) || n > 4096)
                    bad("--mem-probe: '" + v + "' is not a number from 0 to 4096");
                o.mem_probe = static_cast<unsigned>(n);
                g.tcp_only.emplace_back("--mem-probe");
            });
    b.flag("--no-status", "no status line every second", [&] { o.status = false; });
}

// An output file that cannot be written must stop the run before it starts, not after a long
// run has nothing to show. Opened for appending so an existing file keeps its contents until the
// report replaces them; a file created only for the check is removed again.
void check_writable(const char* option, const std::string& path) {
    if (path.empty())
        return;
    std::FILE* existing = std::fopen(path.c_str(), "rb");
    if (existing)
        std::fclose(existing);
    std::FILE* f = std::fopen(path.c_str(), "ab");
    if (!f)
        bad(std::string(option) + ": cannot write '" + path +
            "': " + std::generic_category().message(errno));
    std::fclose(f);
    if (!existing)
        std::remove(path.c_str());
}

// The rules between options, once all are known.
void check(Options& o, const Given& g) {
    if (!g.role.empty()) {
        if (g.role == "server")
            o.role = Role::server;
        else if (g.role == "client")
            o.role = Role::client;
        else if (g.role == "embedded")
            o.role = Role::embedded;
        else
            bad("unknown role '" + g.role + "' (server, client, or none for embedded)");
    }
    if (o.protocol == Protocol::udp) {
        // UDP has no connections to shut down and no hello: both ends run in this process.
        if (!g.tcp_only.empty())
            bad(g.tcp_only.front() + " has no meaning with --protocol udp");
        if (o.role != Role::embedded)
            bad(std::string("the ") + name_of(o.role) +
                " role is tcp only: --protocol udp runs both ends in this process");
        if (o.message_size < udp_header_size || o.message_size > udp_max_datagram)
            bad("--message-size: " + std::to_string(o.message_size) +
                " is not a UDP datagram size from 32 (the header) to 65507");
        if (o.connections > 4096)
            bad("--connections: " + std::to_string(o.connections) +
                " flows; --protocol udp takes up to 4096");
        if (g.duration && o.duration_s == 0)
            bad("--duration 0: a --protocol udp run ends with its duration");
        if (o.loss_timeout_s >= o.timeout_s)
            bad("--loss-timeout must be shorter than --timeout (the watchdog)");
        o.mem_probe = 0; // the probe holds idle TCP pairs
    } else if (!g.udp_only.empty()) {
        bad(g.udp_only.front() + " needs --protocol udp");
    }
    std::string why;
    switch (o.role) {
    case Role::embedded:
        if (g.connect)
            bad("--connect is for the client role");
        if (!g.listen)
            (void)parse_endpoint("127.0.0.1:0", o.listen, why);
        if (!g.baseline)
            o.baseline = true; // whether riosp beats plain sockets here is the first question
        if (o.baseline && !g.duration)
            o.duration_s = 10; // each run half of the default 20 s
        break;
    case Role::server:
        if (g.connect)
            bad("--connect is for the client role");
        if (!g.listen)
            (void)parse_endpoint("0.0.0.0:5001", o.listen, why);
        if (!g.duration)
            o.duration_s = 0;
        if (o.baseline && g.baseline)
            bad("--baseline needs the embedded role (both ends in this process)");
        o.baseline = false;
        break;
    case Role::client:
        if (!g.connect)
            bad("the client role needs --connect HOST:PORT");
        if (g.listen)
            bad("--listen is for the server and embedded roles");
        if (!o.workload_flags_given.empty())
            bad(o.workload_flags_given.front() +
                " is set on the server: a client follows the server's hello");
        if (o.baseline && g.baseline)
            bad("--baseline needs the embedded role (both ends in this process)");
        o.baseline = false;
        break;
    }
    o.baseline_only = o.baseline_only && o.baseline;
    if (o.role != Role::server && o.duration_s == 0 && o.connections == 0)
        bad("--duration 0 needs --connections N (the run must end)");
    if (o.protocol == Protocol::tcp && o.role != Role::client && o.message_size > o.bytes &&
        o.bytes > 0 && o.pattern == Pattern::pingpong)
        o.message_size = static_cast<std::uint32_t>(o.bytes);
    if (!o.plot_file.empty() && !o.plot_file.ends_with(".svg") && !o.plot_file.ends_with(".png"))
        bad("--plot: '" + o.plot_file +
            "' is neither .svg nor .png (the extension picks the format)");
    check_writable("--json", o.json_file);
    check_writable("--csv", o.csv_file);
    check_writable("--plot", o.plot_file);
}

} // namespace

ParseResult parse(int argc, char** argv, Options& o) {
    ParseResult r;
    CLI::App app(wrap("riosp-load: a data-verified half-close workload over riosp (or verified "
                      "UDP datagrams), with a baseline over the system's own sockets.",
                      96),
                 "riosp-load");
    app.set_help_flag("-h,--help", "this text");
    app.get_formatter()->column_width(26);
    app.footer(
        wrap("exit status: 0 clean; 1 a data error (udp: a corrupted datagram; with --strict "
             "also a lost, duplicated, reordered or late one), an unexpected WSA error, a "
             "stuck connection, an allocation counted in a disconnect call, or a failed start "
             "(port in use, provider failed); 2 bad arguments.",
             96));
    // Unknown arguments are kept, not thrown, so that the message can suggest a near option.
    app.allow_extras();
    Given g;
    add_options(app, o, g);
    try {
        app.parse(argc, argv);
        if (const auto extra = app.remaining(); !extra.empty()) {
            const std::string& first = extra.front();
            bad(first.size() > 1 && first.front() == '-' ? cli::unknown_option(app, first)
                                                         : "unexpected argument '" + first + "'");
        }
        check(o, g);
    } catch (const CLI::CallForHelp&) {
        r.help = true;
        r.help_text = app.help();
    } catch (const CLI::ParseError& e) {
        r.error = e.what();
        return r;
    }
    r.ok = true;
    return r;
}

} // namespace riosp::load
