// The end of a run: the summary table on stdout, --json and --csv files.
#pragma once

#include "options.h"
#include "stats.h"

#include <string>
#include <vector>

namespace riosp::load {

struct RunInfo {
    const Options* options = nullptr;
    std::string target;        // "127.0.0.1:41234"
    std::string busy_poll;     // "off", "on", "requested, but ignored by this provider"
    std::string workers;       // "provider default", "4"
    std::string provider;      // how riosp was reached: "<module> through riosp's host", "riosp
                               // installed in the Winsock catalog (entry id N)"; empty: not run
    std::vector<Summary> runs; // riosp first, then the bsd baseline if any
    int exit_code = 0;
};

void print_summary(const RunInfo& info);
// false with a message on stderr when the file cannot be written.
[[nodiscard]] bool write_json(const RunInfo& info, const std::string& path);
[[nodiscard]] bool write_csv(const RunInfo& info, const std::string& path);

} // namespace riosp::load
