// riosp-load's command line: roles, workload, output files. parse() never exits; main() turns
// a failure into exit code 2 with the message.
#pragma once

#include "transport.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace riosp::load {

enum class Role { embedded, server, client };
enum class Pattern : std::uint8_t { push, pull, pingpong, duplex };
enum class Shutdown : std::uint8_t { graceful, rude, random };
enum class Protocol : std::uint8_t { tcp, udp };

[[nodiscard]] const char* name_of(Role r) noexcept;
[[nodiscard]] const char* name_of(Pattern p) noexcept;
[[nodiscard]] const char* name_of(Shutdown s) noexcept;
[[nodiscard]] const char* name_of(Protocol p) noexcept;

// UDP datagrams: riosp-load's 32-byte header and the payload after it fit one IPv4 datagram.
inline constexpr std::uint32_t udp_max_datagram = 65507;
inline constexpr std::uint32_t udp_header_size = 32;

struct Options {
    Protocol protocol = Protocol::tcp;
    Role role = Role::embedded;
    Endpoint listen;                   // server and embedded roles (embedded: 127.0.0.1:0)
    Endpoint connect;                  // client role
    std::uint64_t connections = 0;     // total; 0 = until the duration ends (udp: flows,
                                       // 0 = one per thread)
    unsigned concurrency = 4;          // client threads (and server connection threads)
    std::uint32_t message_size = 4096; // bytes per send call / ping-pong message (udp: datagram)
    std::uint64_t bytes = 64 * 1024;   // per connection and direction
    double duration_s = 20;            // per run; 0 = no limit (server role: until interrupted)
    Pattern pattern = Pattern::pingpong;
    Shutdown shutdown = Shutdown::random;
    unsigned workers = 0;       // RIOSP_WORKERS; 0 = the provider's default
    bool busy_poll = false;     // RIOSP_BUSY_POLL=1
    std::string provider;       // RIOSP_PROVIDER_PATH: the module WSAStartup loads; empty = the
                                // host's default (Windows: riosp_provider.dll beside the exe)
    bool baseline = false;      // also run over raw BSD sockets (embedded: on unless --no-baseline)
    bool baseline_only = false; // the raw BSD-socket run alone: no provider is loaded
    bool allocator_stats = false; // print the provider's mimalloc statistics after the run
    std::uint64_t seed = 1;       // random shutdown choices
    double timeout_s = 10;        // watchdog: a connection with no progress for this long
    unsigned mem_probe = 256;     // idle connected pairs for the memory-per-socket figure
    bool status = true;           // the status line every second
    // udp only
    unsigned window = 4;       // requests in flight per flow
    double loss_timeout_s = 1; // a request unanswered this long is lost
    bool strict = false;       // lost, duplicated, reordered or late datagrams fail the run
    std::string json_file;
    std::string csv_file;
    std::string plot_file; // .svg or .png, drawn by tools/plot from the run's JSON
    // Set when the user gave the option (client role rejects workload options).
    std::vector<std::string> workload_flags_given;
};

struct ParseResult {
    bool ok = false;
    bool help = false;
    std::string help_text; // --help: CLI11's text for every option
    std::string error;     // one line
};

// Also opens --json, --csv and --plot for writing, so that an unwritable path is bad usage up
// front.
[[nodiscard]] ParseResult parse(int argc, char** argv, Options& out);

} // namespace riosp::load
