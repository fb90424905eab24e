// riosp-load --json against its documented schema: the README's table ("riosp-load --json: the
// schema") is read here and a short real run of each protocol checked against it both ways:
// every key of the table present with its type, every key the tool writes in the table. So the
// documentation, the tool and what tools/bench-ratios reads cannot drift apart unnoticed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

struct Row {
    std::string type;     // "integer", "number or null", "object, two runs only", ...
    std::string protocol; // "tcp", "udp", "both"
};
using Schema = std::map<std::string, Row>; // key path -> row

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" `");
    const auto b = s.find_last_not_of(" `");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The table's rows for one protocol, from the README in the source tree.
Schema documented(const std::string& protocol) {
    std::ifstream f(std::string(RIOSP_SOURCE_DIR) + "/README.md");
    std::string line;
    while (std::getline(f, line) && line.find("`riosp-load --json`: the schema") == line.npos) {
    }
    Schema rows;
    bool in_table = false;
    while (std::getline(f, line)) {
        if (line.rfind("| `", 0) != 0) {
            if (in_table)
                break; // the table's end
            continue;
        }
        in_table = true;
        std::vector<std::string> cells;
        for (std::size_t at = 1, bar; (bar = line.find(" |", at)) != line.npos; at = bar + 2)
            cells.push_back(trim(line.substr(at, bar - at)));
        if (cells.size() >= 3 && (cells[2] == "both" || cells[2] == protocol))
            rows[cells[0]] = {cells[1], cells[2]};
    }
    return rows;
}

bool has_type(const json& v, const std::string& type) {
    if (v.is_null())
        return type.find("or null") != type.npos;
    if (type.rfind("signed integer", 0) == 0)
        return v.is_number_integer();
    if (type.rfind("integer", 0) == 0)
        return v.is_number_unsigned(); // counters and sizes are never negative
    if (type.rfind("number", 0) == 0)
        return v.is_number();
    if (type.rfind("string", 0) == 0)
        return v.is_string();
    if (type.rfind("boolean", 0) == 0)
        return v.is_boolean();
    if (type.rfind("object", 0) == 0)
        return v.is_object();
    if (type.rfind("array", 0) == 0)
        return v.is_array();
    ADD_FAILURE() << "the README's table has a type this test does not know: " << type;
    return false;
}

// Forward: every value at `path` ("runs[].latency_ns.*.p50") has the row's type. `prefix` is
// the part of the path walked so far (for messages).
void check_path(const json& node, const std::string& path, const Row& row, std::size_t runs,
                const std::string& prefix) {
    if (node.is_null())
        return; // its parent is a nullable object that is null: no children
    const auto dot = path.find('.');
    std::string seg = path.substr(0, dot);
    const std::string rest = dot == path.npos ? "" : path.substr(dot + 1);
    const bool each = seg.size() > 2 && seg.ends_with("[]");
    if (each)
        seg.resize(seg.size() - 2);
    std::vector<const json*> next;
    if (seg == "*") {
        for (const auto& item : node.items())
            next.push_back(&item.value());
    } else {
        const bool two_runs_only = rest.empty() && row.type.find("two runs only") != row.type.npos;
        if (!node.contains(seg)) {
            // A key under a missing object is reported once, by that object's own row.
            if (rest.empty() && !(two_runs_only && runs != 2))
                ADD_FAILURE() << prefix << seg << " missing";
            return;
        }
        if (two_runs_only) {
            EXPECT_EQ(runs, 2u) << prefix << seg << " written with " << runs << " run(s)";
        }
        next.push_back(&node[seg]);
    }
    for (const json* n : next) {
        if (each) {
            ASSERT_TRUE(n->is_array()) << prefix << seg << " is not an array";
            for (const json& e : *n)
                check_path(e, rest, row, runs, prefix + seg + "[].");
        } else if (rest.empty()) {
            EXPECT_TRUE(has_type(*n, row.type))
                << prefix << seg << " is " << n->type_name() << ", documented " << row.type;
        } else {
            check_path(*n, rest, row, runs, prefix + seg + ".");
        }
    }
}

bool is_row_or_prefix(const Schema& s, const std::string& path) {
    for (const auto& [key, row] : s)
        if (key == path || key.rfind(path + ".", 0) == 0 || key.rfind(path + "[].", 0) == 0)
            return true;
    return false;
}

// Backward: every key written is a row. `alts` are the documented spellings of this node's
// path (a key may match by name or by `*`).
void check_documented(const json& node, const std::vector<std::string>& alts, const Schema& s) {
    if (node.is_array()) {
        std::vector<std::string> each;
        for (const auto& a : alts)
            each.push_back(a + "[]");
        for (const json& e : node)
            check_documented(e, each, s);
        return;
    }
    if (!node.is_object())
        return;
    for (const auto& item : node.items()) {
        std::vector<std::string> child;
        bool row = false;
        for (const auto& a : alts)
            for (const std::string& c : {a.empty() ? item.key() : a + "." + item.key(),
                                         a.empty() ? std::string("*") : a + ".*"})
                if (is_row_or_prefix(s, c)) {
                    child.push_back(c);
                    row = row || s.contains(c);
                }
        EXPECT_TRUE(row) << "undocumented key " << item.key() << " under "
                         << (alts.empty() || alts[0].empty() ? "the top level" : alts[0]);
        check_documented(item.value(), child, s);
    }
}

// riosp-load with these arguments and --json; the parsed file (null if none).
json run(const std::string& args, const std::string& name, int& code) {
    const std::string dir = ::testing::TempDir();
    const std::string file = dir + "riosp_load_json_" + std::to_string(getpid()) + name + ".json";
    const std::string log = dir + "riosp_load_json_" + std::to_string(getpid()) + name + ".log";
    std::remove(file.c_str());
    const std::string cmd = std::string(RIOSP_LOAD_PATH) + " " + args + " --no-status --json " +
                            file + " >" + log + " 2>&1";
    const int status = std::system(cmd.c_str());
    code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream f(file);
    if (!f)
        return nullptr;
    return json::parse(f); // throws (and fails the test) on malformed JSON
}

void check_against_readme(const json& j, const std::string& protocol) {
    const Schema s = documented(protocol);
    ASSERT_GT(s.size(), 30u) << "the README's schema table was not found";
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.value("protocol", ""), protocol);
    const std::size_t runs = j.contains("runs") ? j["runs"].size() : 0;
    for (const auto& [path, row] : s)
        check_path(j, path, row, runs, "");
    check_documented(j, {""}, s);
}

// One real run per protocol, shared by the tests below: 1.5 s per transport, so the per-second
// series has a whole second and the run's shorter last interval.
const json& report(const std::string& protocol) {
    static std::map<std::string, json> runs;
    if (!runs.contains(protocol)) {
        int code = -1;
        json j = protocol == "udp" ? run("--protocol udp --duration 1500ms --strict", "udp", code)
                                   : run("--duration 1500ms --mem-probe 8", "tcp", code);
        EXPECT_EQ(code, 0) << protocol << " run";
        runs[protocol] = std::move(j);
    }
    return runs[protocol];
}

TEST(RiospLoadJson, TcpReportMatchesTheReadmeSchema) {
    const json& j = report("tcp");
    ASSERT_EQ(j["runs"].size(), 2u) << "riosp and the baseline, so that ratios are written";
    check_against_readme(j, "tcp");
}

TEST(RiospLoadJson, UdpReportMatchesTheReadmeSchema) {
    check_against_readme(report("udp"), "udp");
}

// What --plot draws per second must be the run itself: every series adds up to the run's total,
// its intervals end in order, and the last one ends with the run.
TEST(RiospLoadJson, PerSecondSeriesAddUpToTheRunsTotals) {
    for (const std::string protocol : {"tcp", "udp"}) {
        const json& j = report(protocol);
        ASSERT_TRUE(j.contains("runs")) << protocol;
        const std::string done = protocol == "udp" ? "datagrams" : "connections";
        for (const json& r : j["runs"]) {
            const std::string what = protocol + " " + r.value("transport", "?");
            const json& ps = r["per_second"];
            const std::size_t n = ps["end_s"].size();
            ASSERT_GE(n, 2u) << what << ": a 1.5 s run has a whole second and the rest";
            for (const char* series : {"bytes_sent", "bytes_received"})
                ASSERT_EQ(ps[series].size(), n) << what << " " << series;
            ASSERT_EQ(ps[done].size(), n) << what;
            double previous = 0;
            for (const json& end : ps["end_s"]) {
                EXPECT_GT(end.get<double>(), previous) << what;
                previous = end.get<double>();
            }
            EXPECT_NEAR(previous, r["elapsed_s"].get<double>(), 1e-3) << what;
            auto sum = [&](const char* series) {
                std::uint64_t total = 0;
                for (const json& v : ps[series])
                    total += v.get<std::uint64_t>();
                return total;
            };
            EXPECT_EQ(sum(done.c_str()), r[done].get<std::uint64_t>()) << what;
            EXPECT_GT(sum(done.c_str()), 0u) << what;
            EXPECT_EQ(sum("bytes_sent"), r["bytes_sent"].get<std::uint64_t>()) << what;
            EXPECT_EQ(sum("bytes_received"), r["bytes_received"].get<std::uint64_t>()) << what;
        }
    }
}

// The CDFs --plot draws: the buckets hold every sample, ascending, and agree with the
// percentiles the summary prints.
TEST(RiospLoadJson, LatencyBucketsHoldEverySampleInAscendingOrder) {
    for (const std::string protocol : {"tcp", "udp"}) {
        const json& j = report(protocol);
        ASSERT_TRUE(j.contains("runs")) << protocol;
        for (const json& r : j["runs"]) {
            for (const auto& item : r["latency_ns"].items()) {
                const std::string what =
                    protocol + " " + r.value("transport", "?") + " " + item.key();
                const json& l = item.value();
                std::uint64_t samples = 0, previous = 0, p50 = 0;
                const auto count = l["count"].get<std::uint64_t>();
                for (const json& b : l["buckets"]) {
                    ASSERT_EQ(b.size(), 2u) << what;
                    const auto ns = b[0].get<std::uint64_t>();
                    EXPECT_TRUE(samples == 0 || ns > previous) << what << ": not ascending";
                    EXPECT_GT(b[1].get<std::uint64_t>(), 0u) << what << ": an empty bucket";
                    samples += b[1].get<std::uint64_t>();
                    if (p50 == 0 && samples > count / 2)
                        p50 = ns;
                    previous = ns;
                }
                EXPECT_EQ(samples, count) << what;
                if (count != 0) {
                    EXPECT_EQ(p50, l["p50"].get<std::uint64_t>()) << what;
                    EXPECT_LE(previous, l["max"].get<std::uint64_t>()) << what;
                }
            }
        }
    }
}

} // namespace
