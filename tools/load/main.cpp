// riosp-load: a data-verified half-close workload over riosp, optionally beside the same
// workload over the system's own sockets; with --protocol udp, verified request/response
// datagrams instead. riosp is reached through its host's Winsock API (which loads the provider
// module) or, on Windows with riosp installed in the catalog, through ws2_32 like any
// application. See options.cpp for the command line, workload.cpp for what a connection does,
// datagram_workload.cpp for a UDP flow.
#include "datagram_workload.h"
#include "options.h"
#include "plot.h"
#include "report.h"
#include "sys.h"
#include "transport.h"
#include "workload.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

using namespace riosp::load;

namespace {

std::atomic<bool> g_interrupted{false};

// The provider's settings go in the environment, where it reads them when it starts: at
// WSAStartup through riosp's host, at the first socket from its entry through ws2_32.
void set_provider_env(const Options& o) {
    if (o.workers)
        set_env("RIOSP_WORKERS", std::to_string(o.workers));
    if (o.busy_poll)
        set_env("RIOSP_BUSY_POLL", "1");
    if (!o.provider.empty())
        set_env("RIOSP_PROVIDER_PATH", o.provider);
}

// While the provider module is loaded: whether it implements --busy-poll.
void note_busy_poll(const Options& o, RunInfo& info) {
    if (!o.busy_poll)
        return;
    const int mentions = provider_mentions("RIOSP_BUSY_POLL");
    info.busy_poll = mentions == 1   ? "on (RIOSP_BUSY_POLL=1)"
                     : mentions == 0 ? "requested, but this provider ignores RIOSP_BUSY_POLL"
                                     : "requested (RIOSP_BUSY_POLL=1; provider not inspected)";
    if (mentions == 0)
        std::fprintf(stderr, "riosp-load: --busy-poll on: this provider does not implement busy "
                             "polling yet (RIOSP_BUSY_POLL is ignored); running without it\n");
}

void note_allocator_stats(const Options& o) {
    if (o.allocator_stats && !print_provider_allocator_stats())
        std::fprintf(stderr, "riosp-load: this provider does not export allocator statistics\n");
}

// WSAStartup of riosp's host, which loads the provider module; false after a one-line message
// when the provider does not start.
bool start_host(const Options& o, RunInfo& info) {
    if (int err = RiospTransport::start()) {
        std::fprintf(stderr,
                     "riosp-load: the riosp provider failed to start (WSAStartup: %s); %s\n",
                     riosp::wsa::name(err).c_str(), provider_start_hint());
        return false;
    }
    // While the module is loaded: the summary names the file the host found.
    const std::string path = loaded_provider_path();
    info.provider = (path.empty() ? "the provider" : path) + " through riosp's host";
    note_busy_poll(o, info);
    return true;
}

} // namespace

int main(int argc, char** argv) {
    // Before the command line: its addresses may need the system's resolver.
    if (int err = SystemTransport::start()) {
        std::fprintf(stderr, "riosp-load: the system's sockets failed to start (%s)\n",
                     riosp::wsa::name(err).c_str());
        return 1;
    }
    Options o;
    ParseResult parsed = parse(argc, argv, o);
    if (!parsed.ok) {
        std::fprintf(stderr, "riosp-load: %s (see riosp-load --help)\n", parsed.error.c_str());
        return 2;
    }
    if (parsed.help) {
        std::fputs(parsed.help_text.c_str(), stdout);
        return 0;
    }
    raise_fd_limit();
    stop_on_signals(&g_interrupted);

    RunInfo info;
    info.options = &o;
    info.workers = o.workers ? std::to_string(o.workers) : "provider default";
    info.busy_poll = "off";
    info.target = o.role == Role::client ? to_string(o.connect) : to_string(o.listen);
    // Both transports run the same workload: connections (tcp) or datagrams (udp).
    auto run = [&](Transport& t) {
        return o.protocol == Protocol::udp ? run_datagram_workload(t, o, g_interrupted)
                                           : run_workload(t, o, g_interrupted);
    };
    // riosp as --provider names it, else as installed in the Winsock catalog (what applications
    // get), else the DLL beside the exe through riosp's host.
    std::unique_ptr<SystemTransport> installed;
    if (!o.baseline_only && o.provider.empty())
        installed = SystemTransport::installed_riosp();
    if (!o.baseline_only)
        set_provider_env(o);
    if (installed) {
        const Endpoint& at = o.role == Role::client ? o.connect : o.listen;
        info.provider = "riosp installed in the Winsock catalog (entry id " +
                        std::to_string(installed->entry_id(at.v6, o.protocol == Protocol::udp)) +
                        ")";
        info.runs.push_back(run(*installed));
        // ws2_32 loaded the provider with the first socket and keeps it until the process ends.
        note_busy_poll(o, info);
        note_allocator_stats(o);
    } else if (!o.baseline_only) {
        if (!start_host(o, info))
            return 1;
        RiospTransport riosp;
        info.runs.push_back(run(riosp));
        note_allocator_stats(o);
        RiospTransport::stop();
    }
    if (o.baseline && (info.runs.empty() || info.runs.back().fatal.empty()) &&
        !g_interrupted.load()) {
        SystemTransport system = SystemTransport::baseline();
        info.runs.push_back(run(system));
    }

    bool clean = true;
    for (const auto& s : info.runs)
        clean = clean && s.clean();
    info.exit_code = clean ? 0 : 1;
    // A run that could not start (port in use, provider failure) already said why in one line.
    if (info.runs.front().started())
        print_summary(info);
    if (!o.json_file.empty() && !write_json(info, o.json_file))
        info.exit_code = 1;
    if (!o.csv_file.empty() && !write_csv(info, o.csv_file))
        info.exit_code = 1;
    if (!o.plot_file.empty() && info.runs.front().started())
        draw_plot(info); // never changes the exit status
    return info.exit_code;
}
