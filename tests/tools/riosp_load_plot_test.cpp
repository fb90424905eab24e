// riosp-load --plot: the run drawn through tools/plot, and what happens when that cannot be done
// (the tool or matplotlib missing): one line saying how to get it, and the run's result intact.
#include "riosp_load_run.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

using namespace riosp_load_test;

// A short riosp run beside the baseline (the plot shows both).
const std::vector<std::string> short_run{"--duration", "1",         "--no-status", "--mem-probe",
                                         "8",          "--timeout", "15"};

std::vector<std::string> plotting(const std::string& file) {
    std::vector<std::string> a = short_run;
    a.insert(a.end(), {"--plot", file});
    return a;
}

bool matplotlib_available() {
    return std::system("{ python3 -c 'import matplotlib' || /usr/bin/python3 -c 'import "
                       "matplotlib'; } >/dev/null 2>&1") == 0;
}

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

// Sets an environment variable for the children this test starts, and unsets it after.
struct ScopedEnv {
    std::string name;
    ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
        setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() { unsetenv(name.c_str()); }
};

TEST(RiospLoadPlot, DrawsTheRunBesideTheBaselineAsSvgOrPng) {
    if (!matplotlib_available())
        GTEST_SKIP() << "matplotlib is not installed (tools/install-deps --plots)";
    const std::string svg = temp_path("run.svg");
    const std::string png = temp_path("run.png");
    for (const std::string& file : {svg, png}) {
        std::remove(file.c_str());
        Result r = run(plotting(file), 60);
        ASSERT_EQ(r.code, 0) << r.out << r.err;
        EXPECT_NE(r.out.find("riosp-load: plot written to " + file), std::string::npos) << r.out;
        EXPECT_FALSE(exists(file + ".json")) << "the plot's own JSON is removed once drawn";
        const std::string drawn = slurp(file);
        ASSERT_GT(drawn.size(), 1000u) << file;
        if (file == svg) {
            EXPECT_EQ(drawn.rfind("<?xml", 0), 0u);
            EXPECT_NE(drawn.find("<svg"), std::string::npos);
            EXPECT_NE(drawn.find("</svg>"), std::string::npos) << "a whole document";
            // Text stays text (tools/plotting/common.py): both transports are named.
            EXPECT_NE(drawn.find("riosp"), std::string::npos);
            EXPECT_NE(drawn.find("bsd"), std::string::npos);
            EXPECT_NE(drawn.find("connections per second"), std::string::npos);
        } else {
            EXPECT_EQ(drawn.rfind("\x89PNG\r\n\x1a\n", 0), 0u) << "the PNG signature";
        }
    }
}

// matplotlib missing (simulated: a module of that name that fails to import, and no re-run
// under another python): the run passes, one line says how to install it and where the run's
// JSON is to draw it later.
TEST(RiospLoadPlot, WithoutMatplotlibTheRunPassesAndSaysHowToGetIt) {
    const std::string fake = temp_path("no_matplotlib");
    ASSERT_EQ(std::system(("mkdir -p " + fake + "/matplotlib").c_str()), 0);
    std::ofstream(fake + "/matplotlib/__init__.py") << "raise ImportError('simulated')\n";
    ScopedEnv path("PYTHONPATH", fake);
    ScopedEnv once("RIOSP_PLOT_REEXEC", "1");
    const std::string svg = temp_path("run.svg");
    std::remove(svg.c_str());
    // No --json: riosp-load writes the JSON beside the plot and keeps it when nothing is drawn.
    Child c = start(plotting(svg));
    Result r;
    r.code = wait_for(c, 60);
    r.err = slurp(c.err_path);
    EXPECT_EQ(r.code, 0) << "a missing plotting library never fails the run\n" << r.err;
    EXPECT_NE(r.err.find("matplotlib is missing"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tools/install-deps --plots"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tools/plot " + svg + ".json " + svg), std::string::npos) << r.err;
    EXPECT_FALSE(exists(svg));
    EXPECT_NE(slurp(svg + ".json").find("\"tool\": \"riosp-load\""), std::string::npos)
        << "the run's JSON is kept for drawing later";
    std::remove((svg + ".json").c_str());
    EXPECT_EQ(std::system(("rm -rf " + fake).c_str()), 0);
}

TEST(RiospLoadPlot, AMissingPlotToolIsNamedAndTheRunPasses) {
    ScopedEnv tool_path("RIOSP_PLOT", "/nonexistent/tools/plot");
    const std::string png = temp_path("run.png");
    Result r = run(plotting(png), 60);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("/nonexistent/tools/plot not found (set RIOSP_PLOT"), std::string::npos)
        << r.err;
    EXPECT_FALSE(exists(png));
    std::remove((png + ".json").c_str());
}

// Bad usage, found before the run: the format must be one tools/plot writes, the path writable.
TEST(RiospLoadPlot, ANonSvgPngOrUnwritablePlotExitsTwoBeforeTheRun) {
    for (const std::string& file : {temp_path("run.pdf"), temp_path("no_such_dir") + "/run.svg"}) {
        Child c = start({"--plot", file, "--duration", "30"});
        EXPECT_EQ(wait_for(c, 10), 2) << file;
        const std::string err = slurp(c.err_path);
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
        EXPECT_NE(err.find("riosp-load: --plot: "), std::string::npos) << err;
    }
}

} // namespace
