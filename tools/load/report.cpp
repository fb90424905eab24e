// Summary table, JSON and CSV.
#include "report.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <utility>

namespace riosp::load {
namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string human_rate(double bytes_per_s) {
    if (bytes_per_s >= 1e9)
        return fmt("%.2f GB/s", bytes_per_s / 1e9);
    if (bytes_per_s >= 1e6)
        return fmt("%.1f MB/s", bytes_per_s / 1e6);
    return fmt("%.1f kB/s", bytes_per_s / 1e3);
}

std::string micros(std::uint64_t ns) {
    return fmt("%.1f us", static_cast<double>(ns) / 1e3);
}

double per_s(std::uint64_t n, double s) {
    return s > 0 ? static_cast<double>(n) / s : 0;
}

struct Row {
    std::string label;
    std::function<std::string(const Summary&)> text;
    std::function<double(const Summary&)> value; // for the ratio; nullptr: no ratio
};

void add_latency_rows(std::vector<Row>& rows, const char* label, LatencySummary Summary::*m) {
    const char* qs[3] = {"p50", "p99", "p99.9"};
    for (int i = 0; i < 3; ++i) {
        auto pick = [m, i](const Summary& s) {
            const LatencySummary& l = s.*m;
            return i == 0 ? l.p50 : i == 1 ? l.p99 : l.p999;
        };
        rows.push_back({std::string(label) + " " + qs[i],
                        [pick, m](const Summary& s) {
                            return (s.*m).count ? micros(pick(s)) : std::string("-");
                        },
                        [pick](const Summary& s) { return static_cast<double>(pick(s)); }});
    }
}

void add_connection_rows(std::vector<Row>& rows, const Options& o) {
    add_latency_rows(rows, "connection", &Summary::connection);
    if (o.role != Role::server)
        add_latency_rows(rows, "connect", &Summary::connect);
    rows.push_back({"shutdowns graceful/rude-c/rude-s",
                    [](const Summary& s) {
                        return std::to_string(s.plans[0]) + "/" + std::to_string(s.plans[1]) + "/" +
                               std::to_string(s.plans[2]);
                    },
                    nullptr});
    rows.push_back({"connections failed",
                    [](const Summary& s) { return std::to_string(s.connections_failed); },
                    nullptr});
}

// udp: what the client side counted (datagram_workload.cpp says what each counter means).
void add_datagram_rows(std::vector<Row>& rows) {
    auto count = [&](const char* label, std::uint64_t DatagramCounts::*m) {
        rows.push_back(
            {label, [m](const Summary& s) { return std::to_string(s.datagrams.*m); }, nullptr});
    };
    rows.push_back(
        {"flows", [](const Summary& s) { return std::to_string(s.flows.size()); }, nullptr});
    count("requests sent", &DatagramCounts::sent);
    count("requests answered (server side)", &DatagramCounts::served);
    count("lost", &DatagramCounts::lost);
    count("duplicated", &DatagramCounts::duplicated);
    count("reordered", &DatagramCounts::reordered);
    count("late", &DatagramCounts::late);
    count("corrupted", &DatagramCounts::corrupted);
}

// TCP: the disconnect paths' figures.
void add_disconnect_rows(std::vector<Row>& rows) {
    rows.push_back({"shutdown errors",
                    [](const Summary& s) { return std::to_string(s.shutdown_errors); }, nullptr});
    rows.push_back({"allocs in disconnect calls",
                    [](const Summary& s) {
                        if (!s.allocs_available)
                            return std::string("n/a (not counted in this build)");
                        return std::to_string(s.disconnect_allocs) + " in " +
                               std::to_string(s.disconnect_calls) + " calls";
                    },
                    nullptr});
    rows.push_back({"memory/socket (RSS)",
                    [](const Summary& s) {
                        return s.mem_pairs ? fmt("%.1f KiB", s.mem_rss_per_socket / 1024)
                                           : std::string("n/a");
                    },
                    nullptr});
    rows.push_back({"memory/socket (virtual)",
                    [](const Summary& s) {
                        return s.mem_pairs ? fmt("%.1f KiB", s.mem_vm_per_socket / 1024)
                                           : std::string("n/a");
                    },
                    nullptr});
}

// The table: one column per run, and the first over the second where a row has a value.
void print_rows(const std::vector<Row>& rows, const std::vector<Summary>& runs) {
    const bool ratio = runs.size() == 2;
    std::printf("\n  %-34s", "");
    for (const auto& s : runs)
        std::printf(" %22s", s.transport.c_str());
    if (ratio)
        std::printf(" %12s", (runs[0].transport + "/" + runs[1].transport).c_str());
    std::printf("\n");
    for (const auto& r : rows) {
        std::printf("  %-34s", r.label.c_str());
        for (const auto& s : runs)
            std::printf(" %22s", r.text(s).c_str());
        if (ratio && r.value) {
            double a = r.value(runs[0]);
            double b = r.value(runs[1]);
            std::printf(" %12s", b > 0 ? fmt("%.2f", a / b).c_str() : "-");
        }
        std::printf("\n");
    }
}

} // namespace

void print_summary(const RunInfo& info) {
    const Options& o = *info.options;
    const auto& runs = info.runs;
    const bool udp = o.protocol == Protocol::udp;
    if (udp)
        std::printf("\nriosp-load summary: udp, %s on %s, %llu flows, %u threads, window %u\n"
                    "  datagram %u B (%u B header); loss timeout %s%s; provider workers %s, "
                    "busy-poll %s\n",
                    name_of(o.role), info.target.c_str(),
                    static_cast<unsigned long long>(runs.front().flows.size()), o.concurrency,
                    o.window, o.message_size, udp_header_size,
                    fmt("%g s", o.loss_timeout_s).c_str(), o.strict ? ", strict" : "",
                    info.workers.c_str(), info.busy_poll.c_str());
    else if (o.role != Role::client)
        std::printf("\nriosp-load summary: %s on %s, pattern %s, shutdown %s, concurrency %u\n",
                    name_of(o.role), info.target.c_str(), name_of(o.pattern), name_of(o.shutdown),
                    o.concurrency);
    else
        std::printf("\nriosp-load summary: client of %s, concurrency %u\n", info.target.c_str(),
                    o.concurrency);
    if (!udp && o.role != Role::client)
        std::printf("  message %u B, %llu B per connection and direction; provider workers %s, "
                    "busy-poll %s\n",
                    o.message_size, static_cast<unsigned long long>(o.bytes), info.workers.c_str(),
                    info.busy_poll.c_str());
    else if (!udp)
        std::printf("  workload from the server's hello; provider workers %s, busy-poll %s\n",
                    info.workers.c_str(), info.busy_poll.c_str());
    if (!info.provider.empty())
        std::printf("  provider %s\n", info.provider.c_str());
    std::vector<Row> rows;
    rows.push_back(
        {"elapsed", [](const Summary& s) { return fmt("%.2f s", s.elapsed_s); }, nullptr});
    if (udp) {
        rows.push_back(
            {"datagrams (answered)",
             [](const Summary& s) { return std::to_string(s.datagrams.received); },
             [](const Summary& s) { return static_cast<double>(s.datagrams.received); }});
        rows.push_back(
            {"datagrams/s",
             [](const Summary& s) { return fmt("%.1f", per_s(s.datagrams.received, s.elapsed_s)); },
             [](const Summary& s) { return per_s(s.datagrams.received, s.elapsed_s); }});
    } else {
        rows.push_back({"connections",
                        [](const Summary& s) { return std::to_string(s.connections); },
                        [](const Summary& s) { return static_cast<double>(s.connections); }});
        rows.push_back(
            {"connections/s",
             [](const Summary& s) { return fmt("%.1f", per_s(s.connections, s.elapsed_s)); },
             [](const Summary& s) { return per_s(s.connections, s.elapsed_s); }});
    }
    rows.push_back(
        {"bytes/s received",
         [](const Summary& s) { return human_rate(per_s(s.bytes_received, s.elapsed_s)); },
         [](const Summary& s) { return per_s(s.bytes_received, s.elapsed_s); }});
    rows.push_back({"bytes/s sent",
                    [](const Summary& s) { return human_rate(per_s(s.bytes_sent, s.elapsed_s)); },
                    [](const Summary& s) { return per_s(s.bytes_sent, s.elapsed_s); }});
    if (udp || o.role == Role::client || o.pattern == Pattern::pingpong)
        add_latency_rows(rows, "round trip", &Summary::round_trip);
    if (udp)
        add_datagram_rows(rows);
    else
        add_connection_rows(rows, o);
    rows.push_back({"WSA errors",
                    [](const Summary& s) { return std::to_string(s.wsa_error_total()); }, nullptr});
    std::map<int, bool> codes;
    for (const auto& s : runs)
        for (const auto& [code, count] : s.wsa_errors)
            codes[code] = true;
    for (const auto& [code, unused] : codes) {
        int c = code;
        rows.push_back({"  " + wsa::name(c).str() + " (" + std::to_string(c) + ")",
                        [c](const Summary& s) {
                            auto it = s.wsa_errors.find(c);
                            return std::to_string(it == s.wsa_errors.end() ? 0 : it->second);
                        },
                        nullptr});
    }
    rows.push_back(
        {"data errors", [](const Summary& s) { return std::to_string(s.data_errors); }, nullptr});
    if (!udp)
        add_disconnect_rows(rows);

    print_rows(rows, runs);
    if (udp)
        std::printf("\n  latency: round trip = a request datagram to its answer (client side), up "
                    "to --window in flight per flow\n"
                    "  lost = unanswered within the loss timeout; late = answered after that; "
                    "reordered = answered after\n  a later request of its flow; corrupted = a "
                    "damaged header or payload (either side; counted as data errors)\n");
    else
        std::printf("\n  latency: round trip = one ping-pong message and its echo (client side); "
                    "connection = connect to close\n"
                    "  allocations: counted in the calling thread around WSASendDisconnect, "
                    "SO_LINGER and closesocket\n"
                    "  memory/socket: RSS and virtual-size growth with %u idle connected pairs "
                    "open (after the run)\n",
                    o.mem_probe);
    for (const auto& s : runs)
        if (!s.fatal.empty())
            std::printf("  %s stopped early: %s\n", s.transport.c_str(), s.fatal.c_str());
    for (const auto& s : runs)
        if (s.resets_as_fin != 0)
            std::printf("  %s: %llu aborts reached the peer as a FIN, not a reset (this system's "
                        "TCP closes a SO_LINGER {1,0} socket gracefully: Wine)\n",
                        s.transport.c_str(), static_cast<unsigned long long>(s.resets_as_fin));
    for (const auto& s : runs)
        if (s.disconnect_allocs != 0)
            std::printf("  %s: %llu heap allocations in disconnect calls (promised: none)\n",
                        s.transport.c_str(), static_cast<unsigned long long>(s.disconnect_allocs));
    for (const auto& s : runs)
        if (udp && s.datagrams.anomalies() != 0)
            std::printf("  %s: %llu datagrams lost, duplicated, reordered or late (%s)\n",
                        s.transport.c_str(),
                        static_cast<unsigned long long>(s.datagrams.anomalies()),
                        o.strict ? "--strict: the run fails" : "reported; --strict fails the run");
    const char* clean_text =
        !udp ? "clean: every byte verified, no unexpected errors, no allocation in a disconnect "
               "call"
        : o.strict ? "clean: every datagram answered once, in order, and verified; no unexpected "
                     "errors"
                   : "clean: every datagram received verified, no unexpected errors";
    std::printf("\nresult: %s (exit %d)\n",
                info.exit_code == 0 ? clean_text : "FAILED: see the errors above", info.exit_code);
    std::fflush(stdout);
}

namespace {

using Json = nlohmann::ordered_json; // keeps the keys in the order written, as before

// A figure with 6 significant digits, as the hand-written JSON had: the file stays readable and
// the numbers stay the same. nlohmann-json prints a double's shortest exact form, so rounding
// the value itself is what keeps the digits. Not finite (a ratio over 0): null.
Json num(double v) {
    if (!std::isfinite(v))
        return nullptr;
    return std::strtod(fmt("%.6g", v).c_str(), nullptr);
}

Json latency(const LatencySummary& l) {
    Json buckets = Json::array();
    for (const auto& [value, samples] : l.buckets)
        buckets.push_back({value, samples});
    return {{"count", l.count},
            {"p50", l.p50},
            {"p99", l.p99},
            {"p999", l.p999},
            {"max", l.max},
            {"mean", static_cast<std::uint64_t>(l.mean)},
            {"buckets", std::move(buckets)}};
}

// Column by column: one array per series, as a plotting library takes them.
Json per_second(const std::vector<Interval>& intervals, bool udp) {
    Json end_s = Json::array(), done = Json::array(), sent = Json::array(),
         received = Json::array();
    for (const Interval& i : intervals) {
        end_s.push_back(num(i.end_s));
        done.push_back(i.added.done);
        sent.push_back(i.added.bytes_sent);
        received.push_back(i.added.bytes_received);
    }
    return {{"end_s", std::move(end_s)},
            {udp ? "datagrams" : "connections", std::move(done)},
            {"bytes_sent", std::move(sent)},
            {"bytes_received", std::move(received)}};
}

// TCP: the shutdown plans and the disconnect paths' figures.
void add_disconnects(Json& j, const Summary& s) {
    j["shutdown_errors"] = s.shutdown_errors;
    j["resets_as_fin"] = s.resets_as_fin;
    j["shutdowns"] = {{"graceful", s.plans[0]},
                      {"rude_client_aborts", s.plans[1]},
                      {"rude_server_aborts", s.plans[2]}};
    j["disconnect_allocations"] = s.allocs_available ? Json{{"calls", s.disconnect_calls},
                                                            {"allocations", s.disconnect_allocs}}
                                                     : Json(nullptr);
    j["memory_per_socket"] = s.mem_pairs ? Json{{"pairs", s.mem_pairs},
                                                {"rss_bytes", num(s.mem_rss_per_socket)},
                                                {"virtual_bytes", num(s.mem_vm_per_socket)}}
                                         : Json(nullptr);
}

Json run_json(const Summary& s, bool udp) {
    Json j;
    j["transport"] = s.transport;
    j["elapsed_s"] = num(s.elapsed_s);
    const DatagramCounts& d = s.datagrams;
    if (udp) {
        j["datagrams"] = d.received;
        j["datagrams_per_s"] = num(per_s(d.received, s.elapsed_s));
        j["requests_sent"] = d.sent;
        j["requests_served"] = d.served;
        j["lost"] = d.lost;
        j["duplicated"] = d.duplicated;
        j["reordered"] = d.reordered;
        j["late"] = d.late;
        j["corrupted"] = d.corrupted;
    } else {
        j["connections"] = s.connections;
        j["connections_failed"] = s.connections_failed;
        j["connections_per_s"] = num(per_s(s.connections, s.elapsed_s));
    }
    j["bytes_sent"] = s.bytes_sent;
    j["bytes_received"] = s.bytes_received;
    j["bytes_received_per_s"] = num(per_s(s.bytes_received, s.elapsed_s));
    Json& lat = j["latency_ns"];
    lat["round_trip"] = latency(s.round_trip);
    if (!udp) {
        lat["connection"] = latency(s.connection);
        lat["connect"] = latency(s.connect);
    }
    j["per_second"] = per_second(s.per_second, udp);
    j["wsa_errors"] = s.wsa_error_total();
    Json by_code = Json::object(); // {} rather than null when there are none
    for (const auto& [code, count] : s.wsa_errors)
        by_code[std::to_string(code)] = {{"name", wsa::name(code).view()}, {"count", count}};
    j["errors_by_wsa_code"] = std::move(by_code);
    j["data_errors"] = s.data_errors;
    if (!udp)
        add_disconnects(j, s);
    j["stopped_early"] = s.fatal.empty() ? Json(nullptr) : Json(s.fatal);
    return j;
}

// false with a message on stderr when the file cannot be written.
bool write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    f.close();
    if (!f) {
        std::fprintf(stderr, "riosp-load: cannot write %s\n", path.c_str());
        return false;
    }
    return true;
}

} // namespace

// The schema is documented in the README ("riosp-load --json"); tests/tools/
// riosp_load_json_test.cpp checks every key of that table against a real run.
bool write_json(const RunInfo& info, const std::string& path) {
    const Options& o = *info.options;
    const bool udp = o.protocol == Protocol::udp;
    const char* from_hello = "from the server's hello";
    Json j;
    j["tool"] = "riosp-load";
    j["protocol"] = name_of(o.protocol);
    j["role"] = name_of(o.role);
    j["target"] = info.target;
    if (udp) {
        j["flows"] = info.runs.front().flows.size();
        j["window"] = o.window;
        j["loss_timeout_s"] = num(o.loss_timeout_s);
        j["strict"] = o.strict;
    } else {
        j["pattern"] = o.role == Role::client ? from_hello : name_of(o.pattern);
        j["shutdown"] = o.role == Role::client ? from_hello : name_of(o.shutdown);
        j["bytes_per_connection"] = o.bytes;
    }
    j["message_size"] = o.message_size;
    j["concurrency"] = o.concurrency;
    j["duration_s"] = num(o.duration_s);
    j["workers"] = info.workers;
    j["busy_poll"] = info.busy_poll;
    Json& runs = j["runs"] = Json::array();
    for (const Summary& s : info.runs)
        runs.push_back(run_json(s, udp));
    if (info.runs.size() == 2) {
        const Summary& a = info.runs[0];
        const Summary& b = info.runs[1];
        auto ratio = [](double x, double y) { return num(y > 0 ? x / y : NAN); };
        auto rate = [udp](const Summary& r) {
            return per_s(udp ? r.datagrams.received : r.connections, r.elapsed_s);
        };
        Json& r = j["ratios"];
        r[udp ? "datagrams_per_s" : "connections_per_s"] = ratio(rate(a), rate(b));
        r["bytes_received_per_s"] =
            ratio(per_s(a.bytes_received, a.elapsed_s), per_s(b.bytes_received, b.elapsed_s));
        r["round_trip_p50"] =
            ratio(static_cast<double>(a.round_trip.p50), static_cast<double>(b.round_trip.p50));
        if (!udp)
            r["connection_p50"] =
                ratio(static_cast<double>(a.connection.p50), static_cast<double>(b.connection.p50));
    }
    j["exit_code"] = info.exit_code;
    // A target or fatal message is the system's text and may not be UTF-8: replace such bytes
    // rather than throw (the hand-written JSON escaped only quotes and control characters).
    return write_file(path, j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
}

bool write_csv(const RunInfo& info, const std::string& path) {
    if (info.options->protocol == Protocol::udp) { // one row per flow
        std::ostringstream f;
        f << "transport,flow,requests_sent,received,lost,duplicated,reordered,late,corrupted\n";
        for (const auto& s : info.runs)
            for (const FlowRecord& r : s.flows)
                f << s.transport << ',' << r.flow << ',' << r.counts.sent << ','
                  << r.counts.received << ',' << r.counts.lost << ',' << r.counts.duplicated << ','
                  << r.counts.reordered << ',' << r.counts.late << ',' << r.counts.corrupted
                  << '\n';
        return write_file(path, f.str());
    }
    std::ofstream f(path);
    f << "transport,id,pattern,shutdown,start_us,connect_us,duration_us,bytes_sent,"
         "bytes_received,round_trips,client_result,client_wsa_error,client_phase,server_result,"
         "server_wsa_error,server_phase\n";
    auto us = [](std::uint64_t ns) { return std::to_string(ns / 1000); };
    for (const auto& s : info.runs) {
        std::map<std::uint64_t, std::pair<const ConnRecord*, const ConnRecord*>> by_id;
        std::vector<const ConnRecord*> orphans;
        for (const auto& r : s.records) {
            if (r.id == 0) {
                orphans.push_back(&r);
                continue;
            }
            auto& slot = by_id[r.id];
            (r.side == Side::client ? slot.first : slot.second) = &r;
        }
        auto row = [&](std::uint64_t id, const ConnRecord* c, const ConnRecord* sv) {
            const ConnRecord* any = c != nullptr ? c : sv;
            f << s.transport << ',' << id << ',' << name_of(any->pattern) << ','
              << (any->id != 0 ? name_of(any->plan) : "") << ',' << us(any->start_ns) << ','
              << (c != nullptr ? us(c->connect_ns) : "") << ',' << us(any->duration_ns) << ','
              << any->bytes_sent << ',' << any->bytes_received << ',' << any->round_trips << ',';
            for (const ConnRecord* r : {c, sv}) {
                if (r != nullptr)
                    f << name_of(r->outcome) << ',' << r->wsa_error << ",\"" << r->phase << '"';
                else
                    f << ",,";
                f << (r == c ? "," : "\n");
            }
        };
        for (const auto& [id, pair] : by_id)
            row(id, pair.first, pair.second);
        for (const ConnRecord* r : orphans)
            row(0, r->side == Side::client ? r : nullptr, r->side == Side::server ? r : nullptr);
    }
    f.close();
    if (!f) {
        std::fprintf(stderr, "riosp-load: cannot write %s\n", path.c_str());
        return false;
    }
    return true;
}

} // namespace riosp::load
