// riosp-load --plot. The drawing is tools/plot's (one drawing tool for riosp's JSON, also
// perf-gate's); riosp-load hands it the same JSON --json writes, so a plot and a JSON file of
// one run always agree.
#include "plot.h"

#include "sys.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace riosp::load {
namespace {

// tools/plot's exit status when matplotlib is missing (tools/plotting/common.py).
constexpr int plot_exit_no_matplotlib = 3;

bool exists(const std::string& path);

// $RIOSP_PLOT; else riosp-plot beside this executable (an installation's bin, where it links to
// libexec/riosp/plot: cmake/RiospInstall.cmake); else the source tree's tools/plot (compiled
// in: riosp-load runs from its build tree).
std::string plot_tool() {
    if (const char* env = std::getenv("RIOSP_PLOT"); env != nullptr && *env != '\0')
        return env;
    if (const std::string dir = executable_dir(); !dir.empty() && exists(dir + "/riosp-plot"))
        return dir + "/riosp-plot";
    return RIOSP_PLOT_TOOL;
}

bool exists(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f != nullptr)
        std::fclose(f);
    return f != nullptr;
}

} // namespace

void draw_plot(const RunInfo& info) {
    const Options& o = *info.options;
    // The JSON the tool reads: --json's file, else one beside the plot, removed once drawn.
    const bool own_json = o.json_file.empty();
    const std::string json = own_json ? o.plot_file + ".json" : o.json_file;
    if (own_json && !write_json(info, json))
        return; // write_json said why
    const std::string tool = plot_tool();
    const int rc = exists(tool) ? run_script(tool, {json, o.plot_file}) : -2;
    if (rc == 0) {
        if (own_json)
            std::remove(json.c_str());
        std::printf("riosp-load: plot written to %s\n", o.plot_file.c_str());
        return;
    }
    const std::string later = "; the run's JSON is in " + json + ": draw it later with " +
                              "tools/plot " + json + " " + o.plot_file;
    if (rc == plot_exit_no_matplotlib)
        std::fprintf(stderr,
                     "riosp-load: --plot: no plot drawn: matplotlib is missing (install it with "
                     "tools/install-deps --plots, Debian's python3-matplotlib)%s\n",
                     later.c_str());
    else if (rc == -2)
        std::fprintf(stderr,
                     "riosp-load: --plot: no plot drawn: %s not found (set RIOSP_PLOT to "
                     "riosp's tools/plot)%s\n",
                     tool.c_str(), later.c_str());
    else if (rc == -1)
        std::fprintf(stderr,
                     "riosp-load: --plot: no plot drawn: could not run %s (it needs "
                     "python3 and matplotlib: tools/install-deps --plots)%s\n",
                     tool.c_str(), later.c_str());
    else
        std::fprintf(stderr, "riosp-load: --plot: no plot drawn: %s failed (exit %d)%s\n",
                     tool.c_str(), rc, later.c_str());
    std::fflush(stderr);
}

} // namespace riosp::load
