// Command-line parsing. Sizes take K/M/G suffixes (powers of 1024), durations s/ms suffixes.
#include "options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

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

std::string usage() {
    return R"(usage: riosp-load [server|client] [options]

  (no role)             embedded: server and clients in this process on 127.0.0.1 (default)
  server                serve connections on --listen until --duration / --connections / Ctrl-C
  client                connect to --connect; the server's hello sets the workload

  --protocol tcp|udp    tcp: the connection workload below (default); udp: request/response
                        datagrams between client and server sockets in this process (embedded
                        role only), every datagram verified, lost/duplicated/reordered counted

workload (embedded and server; a client follows the server's hello):
  --pattern P           push | pull | pingpong | duplex            (default pingpong)
  --shutdown S          graceful | rude | random                   (default random)
  --message-size N      bytes per send / ping-pong message, K/M    (default 4K)
  --bytes N             bytes per connection and direction, K/M/G  (default 64K)
run:
  --connections N       connections in total; 0 = until --duration (default 0)
  --concurrency N       client threads (and server connection threads) (default 4)
  --duration T          seconds (or 500ms) per run; 0 = no limit
                        (default 10 with the baseline, 20 without; server 0)
  --listen HOST:PORT    server address (server default 0.0.0.0:5001, embedded 127.0.0.1:0)
  --connect HOST:PORT   client: the server to load
  --seed N              seed of the random shutdown choices        (default 1)
  --timeout T           watchdog: fail a connection stuck this long (default 10s)
udp (--protocol udp; --connections = flows, 0 = one per thread; --concurrency = client threads
     and server sockets; --message-size = datagram size, header included, 32 to 65507):
  --window N            requests in flight per flow, 1 to 64          (default 4)
  --loss-timeout T      a request unanswered this long is lost       (default 1s)
  --strict              lost, duplicated, reordered or late datagrams fail the run (exit 1);
                        without it they are reported and only corrupted ones fail it
provider:
  --workers N           RIOSP_WORKERS for the provider's worker pool (default: its own)
  --busy-poll on|off    RIOSP_BUSY_POLL=1 for the provider        (default off)
  --provider PATH       the provider module riosp's host loads (RIOSP_PROVIDER_PATH). Without
                        it, on Windows: riosp as installed in the Winsock catalog
                        (riosp-install) through ws2_32, else riosp_provider.dll beside the exe
                        through the host; on Linux the build's libriosp_provider.so
output:
  --baseline            after the riosp run, the same workload over the system's own sockets
                        (BSD sockets on Linux, the system's Winsock provider on Windows), and
                        the ratio column (default in the embedded role)
  --no-baseline         the riosp run only
  --baseline-only       the raw-socket run only (no provider loaded): the workload's reference
  --allocator-stats     print the provider's mimalloc statistics (socket slabs, registered
                        regions) after the riosp run
  --json FILE           write the summary as JSON
  --csv FILE            write one row per connection
  --mem-probe N         idle connected pairs for the memory-per-socket figure (default 256, 0 off)
  --no-status           no status line every second
  -h, --help            this text

exit status: 0 clean; 1 a data error (udp: a corrupted datagram; with --strict also a lost,
duplicated, reordered or late one), an unexpected WSA error, a stuck connection, an
allocation counted in a disconnect call, or a failed start (port in use, provider failed);
2 bad arguments.
)";
}

ParseResult parse(int argc, char** argv, Options& o) {
    ParseResult r;
    auto fail = [&](std::string msg) {
        r.error = std::move(msg);
        return r;
    };
    int i = 1;
    bool duration_given = false;
    bool baseline_given = false;
    bool listen_given = false;
    bool connect_given = false;
    // Options of one protocol only, as given: the other protocol rejects them.
    std::vector<std::string> tcp_only, udp_only;
    if (i < argc && argv[i][0] != '-') {
        std::string role = argv[i++];
        if (role == "server")
            o.role = Role::server;
        else if (role == "client")
            o.role = Role::client;
        else if (role == "embedded")
            o.role = Role::embedded;
        else
            return fail("unknown role '" + role + "' (server, client, or none for embedded)");
    }
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        if (arg.rfind("--", 0) == 0) {
            if (auto eq = arg.find('='); eq != std::string::npos) {
                value = arg.substr(eq + 1);
                arg.resize(eq);
                has_inline = true;
            }
        }
        auto need = [&](std::string& v) {
            if (has_inline) {
                v = value;
                return true;
            }
            if (i + 1 >= argc)
                return false;
            v = argv[++i];
            return true;
        };
        auto flag_only = [&] { return !has_inline; };
        std::string v;
        if (arg == "-h" || arg == "--help") {
            r.help = true;
            r.ok = true;
            return r;
        } else if (arg == "--allocator-stats" && flag_only()) {
            o.allocator_stats = true;
        } else if (arg == "--baseline" && flag_only()) {
            o.baseline = true;
            baseline_given = true;
        } else if (arg == "--baseline-only" && flag_only()) {
            o.baseline = true;
            o.baseline_only = true;
            baseline_given = true;
        } else if (arg == "--no-baseline" && flag_only()) {
            o.baseline = false;
            o.baseline_only = false;
            baseline_given = true;
        } else if (arg == "--no-status" && flag_only()) {
            o.status = false;
        } else if (arg == "--strict" && flag_only()) {
            o.strict = true;
            udp_only.push_back(arg);
        } else if (arg == "--pattern" || arg == "--shutdown" || arg == "--message-size" ||
                   arg == "--bytes" || arg == "--connections" || arg == "--concurrency" ||
                   arg == "--duration" || arg == "--listen" || arg == "--connect" ||
                   arg == "--seed" || arg == "--timeout" || arg == "--workers" ||
                   arg == "--busy-poll" || arg == "--json" || arg == "--csv" ||
                   arg == "--mem-probe" || arg == "--protocol" || arg == "--window" ||
                   arg == "--loss-timeout" || arg == "--provider") {
            if (!need(v))
                return fail(arg + " needs a value");
            std::uint64_t n = 0;
            if (arg == "--pattern" || arg == "--shutdown" || arg == "--bytes" || arg == "--seed" ||
                arg == "--mem-probe" || arg == "--connect")
                tcp_only.push_back(arg);
            if (arg == "--protocol") {
                if (v == "tcp")
                    o.protocol = Protocol::tcp;
                else if (v == "udp")
                    o.protocol = Protocol::udp;
                else
                    return fail("--protocol: '" + v + "' is not tcp or udp");
            } else if (arg == "--window") {
                if (!parse_u64(v, n) || n == 0 || n > 64)
                    return fail("--window: '" + v + "' is not a number from 1 to 64");
                o.window = static_cast<unsigned>(n);
                udp_only.push_back(arg);
            } else if (arg == "--loss-timeout") {
                if (!parse_seconds(v, o.loss_timeout_s) || o.loss_timeout_s < 0.01)
                    return fail("--loss-timeout: '" + v + "' is not a duration of at least 10ms");
                udp_only.push_back(arg);
            } else if (arg == "--pattern") {
                if (v == "push")
                    o.pattern = Pattern::push;
                else if (v == "pull")
                    o.pattern = Pattern::pull;
                else if (v == "pingpong" || v == "ping-pong")
                    o.pattern = Pattern::pingpong;
                else if (v == "duplex")
                    o.pattern = Pattern::duplex;
                else
                    return fail("--pattern: '" + v + "' is not push, pull, pingpong or duplex");
                o.workload_flags_given.push_back(arg);
            } else if (arg == "--shutdown") {
                if (v == "graceful")
                    o.shutdown = Shutdown::graceful;
                else if (v == "rude")
                    o.shutdown = Shutdown::rude;
                else if (v == "random")
                    o.shutdown = Shutdown::random;
                else
                    return fail("--shutdown: '" + v + "' is not graceful, rude or random");
                o.workload_flags_given.push_back(arg);
            } else if (arg == "--message-size") {
                if (!parse_size(v, n) || n == 0 || n > 16u * 1024 * 1024)
                    return fail("--message-size: '" + v + "' is not a size from 1 to 16M");
                o.message_size = static_cast<std::uint32_t>(n);
                o.workload_flags_given.push_back(arg);
            } else if (arg == "--bytes") {
                if (!parse_size(v, n) || n > (1ull << 40))
                    return fail("--bytes: '" + v + "' is not a size up to 1T");
                o.bytes = n;
                o.workload_flags_given.push_back(arg);
            } else if (arg == "--connections") {
                if (!parse_u64(v, n))
                    return fail("--connections: '" + v + "' is not a number");
                o.connections = n;
            } else if (arg == "--concurrency") {
                if (!parse_u64(v, n) || n == 0 || n > 1024)
                    return fail("--concurrency: '" + v + "' is not a number from 1 to 1024");
                o.concurrency = static_cast<unsigned>(n);
            } else if (arg == "--duration") {
                if (!parse_seconds(v, o.duration_s))
                    return fail("--duration: '" + v + "' is not a duration (20, 20s, 500ms)");
                duration_given = true;
            } else if (arg == "--timeout") {
                if (!parse_seconds(v, o.timeout_s) || o.timeout_s < 0.1)
                    return fail("--timeout: '" + v + "' is not a duration of at least 100ms");
            } else if (arg == "--listen" || arg == "--connect") {
                std::string why;
                Endpoint& e = arg == "--listen" ? o.listen : o.connect;
                if (!parse_endpoint(v, e, why))
                    return fail(arg + ": '" + v + "': " + why);
                (arg == "--listen" ? listen_given : connect_given) = true;
            } else if (arg == "--seed") {
                if (!parse_u64(v, o.seed))
                    return fail("--seed: '" + v + "' is not a number");
            } else if (arg == "--workers") {
                if (!parse_u64(v, n) || n == 0 || n > 64)
                    return fail("--workers: '" + v + "' is not a number from 1 to 64");
                o.workers = static_cast<unsigned>(n);
            } else if (arg == "--busy-poll") {
                if (v == "on" || v == "1" || v == "true")
                    o.busy_poll = true;
                else if (v == "off" || v == "0" || v == "false")
                    o.busy_poll = false;
                else
                    return fail("--busy-poll: '" + v + "' is not on or off");
            } else if (arg == "--provider") {
                if (v.empty())
                    return fail("--provider needs a path");
                o.provider = v;
            } else if (arg == "--json") {
                o.json_file = v;
            } else if (arg == "--csv") {
                o.csv_file = v;
            } else if (arg == "--mem-probe") {
                if (!parse_u64(v, n) || n > 4096)
                    return fail("--mem-probe: '" + v + "' is not a number from 0 to 4096");
                o.mem_probe = static_cast<unsigned>(n);
            }
        } else {
            return fail("unknown option '" + std::string(argv[i]) + "'");
        }
    }
    if (o.protocol == Protocol::udp) {
        // UDP has no connections to shut down and no hello: both ends run in this process.
        if (!tcp_only.empty())
            return fail(tcp_only.front() + " has no meaning with --protocol udp");
        if (o.role != Role::embedded)
            return fail(std::string("the ") + name_of(o.role) +
                        " role is tcp only: --protocol udp runs both ends in this process");
        if (o.message_size < udp_header_size || o.message_size > udp_max_datagram)
            return fail("--message-size: " + std::to_string(o.message_size) +
                        " is not a UDP datagram size from 32 (the header) to 65507");
        if (o.connections > 4096)
            return fail("--connections: " + std::to_string(o.connections) +
                        " flows; --protocol udp takes up to 4096");
        if (duration_given && o.duration_s == 0)
            return fail("--duration 0: a --protocol udp run ends with its duration");
        if (o.loss_timeout_s >= o.timeout_s)
            return fail("--loss-timeout must be shorter than --timeout (the watchdog)");
        o.mem_probe = 0; // the probe holds idle TCP pairs
    } else if (!udp_only.empty()) {
        return fail(udp_only.front() + " needs --protocol udp");
    }
    switch (o.role) {
    case Role::embedded: {
        if (connect_given)
            return fail("--connect is for the client role");
        if (!listen_given) {
            std::string why;
            (void)parse_endpoint("127.0.0.1:0", o.listen, why);
        }
        if (!baseline_given)
            o.baseline = true; // whether riosp beats plain sockets here is the first question
        if (o.baseline && !duration_given)
            o.duration_s = 10; // each run half of the default 20 s
        break;
    }
    case Role::server: {
        if (connect_given)
            return fail("--connect is for the client role");
        if (!listen_given) {
            std::string why;
            (void)parse_endpoint("0.0.0.0:5001", o.listen, why);
        }
        if (!duration_given)
            o.duration_s = 0;
        if (o.baseline && baseline_given)
            return fail("--baseline needs the embedded role (both ends in this process)");
        o.baseline = false;
        break;
    }
    case Role::client:
        if (!connect_given)
            return fail("the client role needs --connect HOST:PORT");
        if (listen_given)
            return fail("--listen is for the server and embedded roles");
        if (!o.workload_flags_given.empty())
            return fail(o.workload_flags_given.front() +
                        " is set on the server: a client follows the server's hello");
        if (o.baseline && baseline_given)
            return fail("--baseline needs the embedded role (both ends in this process)");
        o.baseline = false;
        break;
    }
    o.baseline_only = o.baseline_only && o.baseline;
    if (o.role != Role::server && o.duration_s == 0 && o.connections == 0)
        return fail("--duration 0 needs --connections N (the run must end)");
    if (o.protocol == Protocol::tcp && o.role != Role::client && o.message_size > o.bytes &&
        o.bytes > 0 && o.pattern == Pattern::pingpong)
        o.message_size = static_cast<std::uint32_t>(o.bytes);
    r.ok = true;
    return r;
}

} // namespace riosp::load
