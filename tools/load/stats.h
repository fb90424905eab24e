// What a run measures: per-thread counters and histograms (written by one thread, the live
// counters read by the status line and the watchdog), per-connection records, and the merged
// summary of one transport's run.
#pragma once

#include "histogram.h"
#include "options.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace riosp::load {

// How one connection ends, chosen by the server and announced in its hello.
enum class Plan : std::uint8_t { graceful = 0, rude_client_aborts = 1, rude_server_aborts = 2 };
enum class Side : std::uint8_t { client, server };
enum class Outcome : std::uint8_t { ok, wsa_error, data_error, shutdown_error };

[[nodiscard]] const char* name_of(Plan p) noexcept;
[[nodiscard]] const char* name_of(Side s) noexcept;
[[nodiscard]] const char* name_of(Outcome o) noexcept;

struct ConnRecord {
    std::uint64_t id = 0; // 0: the hello never arrived
    Side side = Side::client;
    Pattern pattern = Pattern::pingpong;
    Plan plan = Plan::graceful;
    Outcome outcome = Outcome::ok;
    int wsa_error = 0;
    const char* phase = "";     // where it failed
    std::uint64_t start_ns = 0; // since the run's start
    std::uint64_t connect_ns = 0;
    std::uint64_t duration_ns = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint32_t round_trips = 0;
};

// --protocol udp, counted by the client side per flow (corrupted: both sides).
struct DatagramCounts {
    std::uint64_t sent = 0;       // requests
    std::uint64_t received = 0;   // distinct, verified answers within the loss timeout
    std::uint64_t lost = 0;       // requests unanswered within the loss timeout
    std::uint64_t duplicated = 0; // a second answer to a request
    std::uint64_t reordered = 0;  // an answer after one to a later request of its flow
    std::uint64_t late = 0;       // an answer to a request already counted lost
    std::uint64_t corrupted = 0;  // bad header or payload (requests: counted by the server side)
    std::uint64_t served = 0;     // requests answered by the server side
    void add(const DatagramCounts& o) noexcept {
        sent += o.sent;
        received += o.received;
        lost += o.lost;
        duplicated += o.duplicated;
        reordered += o.reordered;
        late += o.late;
        corrupted += o.corrupted;
        served += o.served;
    }
    // What UDP allows but loopback with room in the buffers should never show.
    [[nodiscard]] std::uint64_t anomalies() const noexcept {
        return lost + duplicated + reordered + late;
    }
};

struct FlowRecord {
    std::uint64_t flow = 0;
    DatagramCounts counts;
};

// One connection thread's figures.
struct WorkerStats {
    // Live: read by the status line and the watchdog.
    std::atomic<std::uint64_t> conns_done{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> bytes_received{0};
    std::atomic<std::uint64_t> errors{0};       // WSA, data and shutdown errors
    std::atomic<std::int64_t> busy_since_ns{0}; // 0: between connections
    std::atomic<std::int64_t> last_progress_ns{0};
    std::atomic<std::uint64_t> conn_id{0};
    std::atomic<const char*> phase{""};
    std::atomic<std::uint64_t> datagrams_done{0}; // udp: answered round trips
    std::atomic<std::uint64_t> datagrams_lost{0};
    // Owned by the thread; read after it has been joined.
    Side side = Side::client;
    Histogram round_trip;
    Histogram connection;
    Histogram connect;
    std::map<int, std::uint64_t> wsa_errors;
    std::uint64_t data_errors = 0;
    std::uint64_t shutdown_errors = 0;
    std::uint64_t resets_as_fin = 0; // see Summary::resets_as_fin
    std::uint64_t plans[3] = {};
    std::uint64_t disconnect_calls = 0;
    std::uint64_t disconnect_allocs = 0;
    std::vector<ConnRecord> records;
    DatagramCounts datagrams; // udp
    std::vector<FlowRecord> flows;
};

struct LatencySummary {
    std::uint64_t count = 0;
    std::uint64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
    double mean = 0;
    // The whole distribution: {value ns, samples} per non-empty bucket, ascending.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets;
};
[[nodiscard]] LatencySummary summarize(const Histogram& h);

// A run's running totals at one moment, from the live counters: conversations done
// (connections; udp: answered datagrams) and payload bytes.
struct Totals {
    std::uint64_t done = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
};

// The totals of a run's workers now; done(w) is what worker w has finished of what the run
// counts (connections, answered datagrams; 0 for a side that does not count).
template <class Done>
[[nodiscard]] Totals totals_of(const std::vector<std::unique_ptr<WorkerStats>>& workers,
                               Done done) {
    Totals t;
    for (const auto& w : workers) {
        t.done += done(*w);
        t.bytes_sent += w->bytes_sent.load(std::memory_order_relaxed);
        t.bytes_received += w->bytes_received.load(std::memory_order_relaxed);
    }
    return t;
}

// What one interval of a run added (about a second: the status line's tick; the last one ends
// with the run).
struct Interval {
    double end_s = 0; // since the run's start
    Totals added;
};

// The run second by second, sampled by the main thread whether or not the status line prints.
class Timeline {
public:
    // The interval from the previous sample to `end_s`, when the totals were `now`.
    const Interval& add(double end_s, const Totals& now) {
        intervals_.push_back({end_s,
                              {now.done - last_.done, now.bytes_sent - last_.bytes_sent,
                               now.bytes_received - last_.bytes_received}});
        last_ = now;
        return intervals_.back();
    }
    [[nodiscard]] const std::vector<Interval>& intervals() const noexcept { return intervals_; }
    [[nodiscard]] const Totals& last() const noexcept { return last_; } // at the latest sample

private:
    std::vector<Interval> intervals_;
    Totals last_;
};

struct Summary {
    Protocol protocol = Protocol::tcp;
    std::string transport;
    double elapsed_s = 0;
    std::uint64_t connections = 0; // conversations finished (client side; server role: server)
    std::uint64_t connections_failed = 0; // of those, with any error on that side
    std::uint64_t server_connections = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    LatencySummary round_trip, connection, connect;
    std::map<int, std::uint64_t> wsa_errors;
    std::uint64_t data_errors = 0;
    std::uint64_t shutdown_errors = 0;
    // Aborts (SO_LINGER {1,0} and close) the peer saw as a FIN where the system's TCP closes
    // such a socket gracefully (Wine 8; support's bsd::tcp_resets_work()): not errors there.
    std::uint64_t resets_as_fin = 0;
    std::uint64_t plans[3] = {};
    bool allocs_available = false;
    std::uint64_t disconnect_calls = 0;
    std::uint64_t disconnect_allocs = 0;
    unsigned mem_pairs = 0; // 0: not measured
    double mem_rss_per_socket = 0;
    double mem_vm_per_socket = 0;
    std::string fatal;                // a one-line reason the run stopped early
    std::vector<ConnRecord> records;  // both sides
    std::vector<Interval> per_second; // adds up to connections (udp: datagrams) and the bytes
    // udp
    DatagramCounts datagrams;
    std::vector<FlowRecord> flows;
    bool strict = false; // --strict: anomalies fail the run

    [[nodiscard]] std::uint64_t wsa_error_total() const noexcept {
        std::uint64_t n = 0;
        for (const auto& [code, count] : wsa_errors)
            n += count;
        return n;
    }
    // riosp's promise includes allocation-free disconnect calls: a counted one fails the run.
    [[nodiscard]] bool clean() const noexcept {
        return fatal.empty() && data_errors == 0 && shutdown_errors == 0 &&
               wsa_error_total() == 0 && disconnect_allocs == 0 && datagrams.corrupted == 0 &&
               (!strict || datagrams.anomalies() == 0);
    }
    // Whether the run got as far as its workload (a failed start prints one line, no table).
    [[nodiscard]] bool started() const noexcept {
        return fatal.empty() || connections != 0 || server_connections != 0 || datagrams.sent != 0;
    }
};

} // namespace riosp::load
