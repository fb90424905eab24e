// The workload engine. Blocking sockets and a small fixed thread set: `concurrency` client
// threads connect in a loop; the server side is one accept loop feeding `concurrency`
// connection threads; duplex gives each of them a companion thread for the sending direction.
// This file holds the run (threads, status line, watchdog, memory probe, summary); one
// connection's conversation is connection.{h,cpp}.
//
// Each connection, as both sides see it:
//   1. the server sends its hello (connection id, pattern, shutdown plan, sizes);
//   2. data in the pattern; every received byte is checked against pattern.h's stream;
//   3. graceful: each side sends its FIN (WSASendDisconnect) right after its last byte and,
//      after its last expected byte, posts a final receive that must complete with 0 bytes;
//      rude: the victim sends an 8-byte "done" marker once it has everything, then posts a final
//      receive that must fail with WSAECONNRESET; the aborter reads the marker, sets
//      SO_LINGER {1,0} and closes;
//   4. close.
#include "workload.h"

#include "connection.h"
#include "pattern.h"
#include "support/alloc_counter.h"
#include "sys.h"
#include "watchdog.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace riosp::load {
namespace {

// ---------------------------------------------------------------- the run
class Run final : public ConnEvents {
public:
    Run(Transport& t, const Options& o, const std::atomic<bool>& interrupted)
        : t_(t), o_(o), interrupted_(interrupted) {}
    Summary execute();

    void data_error(std::uint64_t conn_id, const char* what, std::uint64_t offset, int expected,
                    int got) override {
        if (data_error_reports_.fetch_add(1) < 5)
            std::fprintf(stderr,
                         "riosp-load: %s: data error on connection %llu: %s at offset %llu "
                         "(expected 0x%02x, got 0x%02x)\n",
                         t_.name(), static_cast<unsigned long long>(conn_id), what,
                         static_cast<unsigned long long>(offset), expected & 0xff, got & 0xff);
    }
    void report(const ConnRecord& rec) {
        if (rec.outcome == Outcome::ok || rec.outcome == Outcome::data_error)
            return; // data errors are reported where they are found
        if (error_reports_.fetch_add(1) >= 5)
            return;
        std::string what = rec.outcome == Outcome::wsa_error ? wsa::name(rec.wsa_error).str()
                                                             : std::string("shutdown error");
        std::fprintf(stderr, "riosp-load: %s: connection %llu (%s side, %s) failed in %s: %s\n",
                     t_.name(), static_cast<unsigned long long>(rec.id), name_of(rec.side),
                     name_of(rec.plan), rec.phase, what.c_str());
    }
    void fatal(const std::string& message) {
        std::lock_guard lock(fatal_mutex_);
        if (fatal_.empty()) {
            fatal_ = message;
            std::fprintf(stderr, "riosp-load: %s\n", message.c_str());
        }
        stop_clients_.store(true);
        stop_server_.store(true);
    }
    [[nodiscard]] std::uint64_t run_ns() const noexcept {
        return static_cast<std::uint64_t>(now_ns() - t0_);
    }

private:
    WorkerStats& new_worker(Side side) {
        workers_.push_back(std::make_unique<WorkerStats>());
        workers_.back()->side = side;
        return *workers_.back();
    }
    void client_thread(WorkerStats& w);
    void accept_thread();
    void server_thread(WorkerStats& w);
    void serve(WorkerStats& w, Sock s, std::vector<std::uint8_t>& rbuf,
               std::vector<std::uint8_t>& sbuf, Companion* companion);
    // Whether w's connections are the run's count: the client side's (the server role: the
    // server side's), so a connection is not counted twice in the embedded role.
    [[nodiscard]] bool counts(const WorkerStats& w) const noexcept {
        return w.side == Side::client || o_.role == Role::server;
    }
    [[nodiscard]] Totals totals() const;
    void status_line(const Interval& i);
    void stop_accepting();
    void memory_probe(Summary& out);
    Summary collect(double elapsed);

    Transport& t_;
    const Options& o_;
    const std::atomic<bool>& interrupted_;
    std::int64_t t0_ = 0;
    std::vector<std::unique_ptr<WorkerStats>> workers_;
    std::atomic<bool> stop_clients_{false};
    std::atomic<bool> stop_server_{false};
    std::atomic<std::uint64_t> claimed_{0};
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<unsigned> clients_running_{0};
    std::atomic<int> data_error_reports_{0};
    std::atomic<int> error_reports_{0};
    std::mutex fatal_mutex_;
    std::string fatal_;
    // server side
    Sock listener_ = bad_sock;
    Endpoint bound_;
    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    std::deque<Sock> queue_;
    bool queue_closed_ = false;
    Timeline timeline_;
};

// ---------------------------------------------------------------- threads
void record_outcome(WorkerStats& w, const ConnRecord& rec) {
    switch (rec.outcome) {
    case Outcome::ok:
        break;
    case Outcome::wsa_error:
        ++w.wsa_errors[rec.wsa_error];
        break;
    case Outcome::data_error:
        ++w.data_errors;
        break;
    case Outcome::shutdown_error:
        ++w.shutdown_errors;
        break;
    }
    if (rec.outcome != Outcome::ok)
        w.errors.fetch_add(1, std::memory_order_relaxed);
    if (rec.id != 0)
        ++w.plans[static_cast<int>(rec.plan)];
    w.records.push_back(rec);
    w.conns_done.fetch_add(1, std::memory_order_relaxed);
}

void Run::client_thread(WorkerStats& w) {
    std::vector<std::uint8_t> rbuf(std::max<std::size_t>(o_.message_size, 64 * 1024));
    std::vector<std::uint8_t> sbuf;
    std::unique_ptr<Companion> companion;
    const Endpoint& to = o_.role == Role::client ? o_.connect : bound_;
    for (;;) {
        if (stop_clients_.load())
            break;
        std::uint64_t n = claimed_.fetch_add(1);
        if (o_.connections != 0 && n >= o_.connections)
            break;
        ConnRecord rec;
        rec.side = Side::client;
        const std::int64_t start = now_ns();
        rec.start_ns = static_cast<std::uint64_t>(start - t0_);
        w.conn_id.store(0, std::memory_order_relaxed);
        w.phase.store("connect", std::memory_order_relaxed);
        w.last_progress_ns.store(start, std::memory_order_relaxed);
        w.busy_since_ns.store(start, std::memory_order_relaxed);
        Sock s = bad_sock;
        if (int err = t_.connect(to, s)) {
            rec.outcome = Outcome::wsa_error;
            rec.wsa_error = err;
            rec.phase = "connect";
            w.busy_since_ns.store(0);
            record_outcome(w, rec);
            std::string hint = err == WSAECONNREFUSED    ? " (is the server running?)"
                               : err == WSAEADDRNOTAVAIL ? " (out of ephemeral ports: lower "
                                                           "--concurrency or wait for TIME_WAIT)"
                                                         : "";
            fatal(std::string(t_.name()) + ": connect to " + to_string(to) +
                  " failed: " + wsa::name(err).str() + hint);
            break;
        }
        rec.connect_ns = static_cast<std::uint64_t>(now_ns() - start);
        w.connect.record(rec.connect_ns);
        w.phase.store("hello", std::memory_order_relaxed);
        w.last_progress_ns.store(now_ns(), std::memory_order_relaxed);
        std::uint8_t hello_bytes[hello_size];
        Conn c(*this, t_, w, s, rbuf, sbuf, nullptr);
        Failure f = c.recv_raw(hello_bytes, hello_size, "hello");
        Hello h;
        if (f.ok() && !decode(hello_bytes, h)) {
            f = {Outcome::data_error, 0, "hello"};
            std::fprintf(stderr, "riosp-load: %s: the server's hello is not riosp-load's\n",
                         t_.name());
        }
        if (!f.ok()) {
            c.close_after_failure();
            rec.outcome = f.outcome;
            rec.wsa_error = f.wsa;
            rec.phase = f.phase;
        } else {
            w.conn_id.store(h.id, std::memory_order_relaxed);
            if (sbuf.size() != h.message_size)
                sbuf.assign(h.message_size, 0);
            if (h.pattern == Pattern::duplex && !companion)
                companion = std::make_unique<Companion>();
            Conn conv(*this, t_, w, s, rbuf, sbuf, companion.get());
            conv.converse(Side::client, h, rec);
        }
        rec.duration_ns = static_cast<std::uint64_t>(now_ns() - start);
        w.connection.record(rec.duration_ns);
        w.busy_since_ns.store(0, std::memory_order_relaxed);
        report(rec);
        record_outcome(w, rec);
    }
    clients_running_.fetch_sub(1);
}

void Run::accept_thread() {
    int consecutive_errors = 0;
    for (;;) {
        Sock s = bad_sock;
        int err = t_.accept(listener_, s);
        if (stop_server_.load()) {
            if (err == 0)
                (void)t_.close(s);
            break;
        }
        if (err != 0) {
            if (++consecutive_errors >= 20) {
                fatal(std::string(t_.name()) + ": accept keeps failing: " + wsa::name(err).str());
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        consecutive_errors = 0;
        {
            std::lock_guard lock(queue_mutex_);
            queue_.push_back(s);
        }
        queue_cv_.notify_one();
    }
    {
        std::lock_guard lock(queue_mutex_);
        queue_closed_ = true;
    }
    queue_cv_.notify_all();
}

void Run::serve(WorkerStats& w, Sock s, std::vector<std::uint8_t>& rbuf,
                std::vector<std::uint8_t>& sbuf, Companion* companion) {
    ConnRecord rec;
    rec.side = Side::server;
    const std::int64_t start = now_ns();
    rec.start_ns = static_cast<std::uint64_t>(start - t0_);
    Hello h;
    h.id = next_id_.fetch_add(1);
    h.pattern = o_.pattern;
    h.plan = choose_plan(o_.shutdown, o_.seed, h.id);
    h.message_size = o_.message_size;
    h.bytes = o_.bytes;
    w.conn_id.store(h.id, std::memory_order_relaxed);
    w.phase.store("hello", std::memory_order_relaxed);
    w.last_progress_ns.store(start, std::memory_order_relaxed);
    w.busy_since_ns.store(start, std::memory_order_relaxed);
    std::uint8_t hello_bytes[hello_size];
    encode(h, hello_bytes);
    Conn c(*this, t_, w, s, rbuf, sbuf, companion);
    c.id = h.id;
    Failure f = c.send_raw(hello_bytes, hello_size, "hello");
    if (!f.ok()) {
        c.close_after_failure();
        rec.id = h.id;
        rec.plan = h.plan;
        rec.pattern = h.pattern;
        rec.outcome = f.outcome;
        rec.wsa_error = f.wsa;
        rec.phase = f.phase;
    } else {
        c.converse(Side::server, h, rec);
    }
    rec.duration_ns = static_cast<std::uint64_t>(now_ns() - start);
    w.connection.record(rec.duration_ns);
    w.busy_since_ns.store(0, std::memory_order_relaxed);
    report(rec);
    record_outcome(w, rec);
}

void Run::server_thread(WorkerStats& w) {
    std::vector<std::uint8_t> rbuf(std::max<std::size_t>(o_.message_size, 64 * 1024));
    std::vector<std::uint8_t> sbuf(o_.message_size);
    std::unique_ptr<Companion> companion;
    if (o_.pattern == Pattern::duplex)
        companion = std::make_unique<Companion>();
    for (;;) {
        Sock s = bad_sock;
        {
            std::unique_lock lock(queue_mutex_);
            queue_cv_.wait(lock, [&] { return !queue_.empty() || queue_closed_; });
            if (queue_.empty())
                return;
            s = queue_.front();
            queue_.pop_front();
        }
        if (stop_server_.load() && o_.role == Role::server) {
            (void)t_.close(s); // shutting down: late clients are not served
            continue;
        }
        serve(w, s, rbuf, sbuf, companion.get());
    }
}

void Run::stop_accepting() {
    stop_server_.store(true);
    // Wake the blocking accept with a connection of our own.
    const Endpoint wake = loopback_if_any(bound_);
    Sock s = bad_sock;
    if (t_.connect(wake, s) == 0)
        (void)t_.close(s);
}

// ---------------------------------------------------------------- per second
Totals Run::totals() const {
    return totals_of(workers_, [this](const WorkerStats& w) -> std::uint64_t {
        return counts(w) ? w.conns_done.load(std::memory_order_relaxed) : 0;
    });
}

void Run::status_line(const Interval& i) {
    const Totals& now = timeline_.last();
    std::uint64_t errors = 0;
    unsigned in_flight = 0;
    for (const auto& w : workers_) {
        errors += w->errors.load(std::memory_order_relaxed);
        if (counts(*w) && w->busy_since_ns.load(std::memory_order_relaxed) != 0)
            ++in_flight;
    }
    std::printf("[%5.1fs] %-5s %9llu conns (%6llu/s) %3u in flight | send %8.1f MB/s recv %8.1f "
                "MB/s | errors %llu\n",
                i.end_s, t_.name(), static_cast<unsigned long long>(now.done),
                static_cast<unsigned long long>(i.added.done), in_flight,
                static_cast<double>(i.added.bytes_sent) / 1e6,
                static_cast<double>(i.added.bytes_received) / 1e6,
                static_cast<unsigned long long>(errors));
    std::fflush(stdout);
}

// ---------------------------------------------------------------- memory probe
// Runs on the workload's own listener once the accept thread has stopped: a fresh listener would
// reuse a recycled socket object that had been an accepted socket (see the report's note on
// WSPAccept's lock order).
void Run::memory_probe(Summary& out) {
    const unsigned pairs = o_.mem_probe;
    const Sock l = listener_;
    const Endpoint bound = loopback_if_any(bound_);
    std::vector<Sock> socks;
    socks.reserve(2 * pairs);
    const std::uint64_t rss0 = rss_bytes();
    const std::uint64_t vm0 = vm_bytes();
    bool ok = true;
    for (unsigned i = 0; i < pairs && ok; ++i) {
        Sock c = bad_sock, s = bad_sock;
        if (t_.connect(bound, c) != 0) {
            ok = false;
            break;
        }
        socks.push_back(c);
        if (t_.accept(l, s) != 0) {
            ok = false;
            break;
        }
        socks.push_back(s);
        std::uint8_t byte = 1;
        std::size_t done = 0;
        ok = t_.send(c, &byte, 1, done) == 0 && t_.recv(s, &byte, 1, done) == 0 && done == 1 &&
             t_.send(s, &byte, 1, done) == 0 && t_.recv(c, &byte, 1, done) == 0 && done == 1;
    }
    const std::uint64_t rss1 = rss_bytes();
    const std::uint64_t vm1 = vm_bytes();
    for (Sock s : socks) {
        (void)t_.set_abortive(s);
        (void)t_.close(s);
    }
    if (!ok || socks.empty()) {
        std::fprintf(stderr, "riosp-load: %s: memory probe could not open %u connected pairs\n",
                     t_.name(), pairs);
        return;
    }
    const double n = static_cast<double>(socks.size());
    out.mem_pairs = static_cast<unsigned>(socks.size() / 2);
    out.mem_rss_per_socket = rss1 > rss0 ? static_cast<double>(rss1 - rss0) / n : 0.0;
    out.mem_vm_per_socket = vm1 > vm0 ? static_cast<double>(vm1 - vm0) / n : 0.0;
}

// ---------------------------------------------------------------- collect
Summary Run::collect(double elapsed) {
    Summary s;
    s.transport = t_.name();
    s.elapsed_s = elapsed;
    s.allocs_available = alloc::available();
    Histogram rtt, conn, connect;
    for (const auto& w : workers_) {
        const bool counted = counts(*w);
        for (const auto& r : w->records) {
            if (counted) {
                ++s.connections;
                if (r.outcome != Outcome::ok)
                    ++s.connections_failed;
            }
            if (w->side == Side::server)
                ++s.server_connections;
        }
        s.bytes_sent += w->bytes_sent.load();
        s.bytes_received += w->bytes_received.load();
        rtt.merge(w->round_trip);
        connect.merge(w->connect);
        if (counted)
            conn.merge(w->connection);
        for (const auto& [code, count] : w->wsa_errors)
            s.wsa_errors[code] += count;
        s.data_errors += w->data_errors;
        s.shutdown_errors += w->shutdown_errors;
        s.resets_as_fin += w->resets_as_fin;
        if (counted)
            for (int i = 0; i < 3; ++i)
                s.plans[i] += w->plans[i];
        s.disconnect_calls += w->disconnect_calls;
        s.disconnect_allocs += w->disconnect_allocs;
        s.records.insert(s.records.end(), w->records.begin(), w->records.end());
    }
    s.round_trip = summarize(rtt);
    s.connection = summarize(conn);
    s.connect = summarize(connect);
    s.fatal = fatal_;
    // The last interval ends with the run; the server threads have joined, so the series adds
    // up to the totals above.
    if (elapsed > 0)
        timeline_.add(elapsed, totals());
    s.per_second = timeline_.intervals();
    return s;
}

// ---------------------------------------------------------------- execute
Summary Run::execute() {
    t0_ = now_ns();
    const bool has_server = o_.role != Role::client;
    const bool has_clients = o_.role != Role::server;
    if (has_server) {
        if (int err = t_.listen(o_.listen, listener_, bound_)) {
            std::string why = std::string(t_.name()) + ": cannot listen on " +
                              to_string(o_.listen) + ": " + wsa::name(err).str();
            if (err == WSAEADDRINUSE)
                why += " (the port is in use: stop the other process or pick another --listen "
                       "port)";
            else if (err == WSAEADDRNOTAVAIL)
                why += " (not an address of this machine)";
            fatal(why);
            Summary s = collect(0);
            return s;
        }
        if (o_.role == Role::server) {
            std::printf("riosp-load: %s server listening on %s\n", t_.name(),
                        to_string(bound_).c_str());
            std::fflush(stdout);
        }
    }
    // Every WorkerStats exists before any thread starts (the status line walks the list).
    std::vector<WorkerStats*> server_stats, client_stats;
    if (has_server)
        for (unsigned i = 0; i < o_.concurrency; ++i)
            server_stats.push_back(&new_worker(Side::server));
    if (has_clients)
        for (unsigned i = 0; i < o_.concurrency; ++i)
            client_stats.push_back(&new_worker(Side::client));

    std::thread acceptor;
    std::vector<std::thread> servers, clients;
    if (has_server) {
        acceptor = std::thread([this] { accept_thread(); });
        for (auto* w : server_stats)
            servers.emplace_back([this, w] { server_thread(*w); });
    }
    clients_running_.store(static_cast<unsigned>(client_stats.size()));
    for (auto* w : client_stats)
        clients.emplace_back([this, w] { client_thread(*w); });

    // A watchdog for the whole run; the main thread keeps the status line and the end.
    Watchdog watchdog(t_.name(), "connection", o_.timeout_s, workers_);
    const std::int64_t start = now_ns();
    const auto duration_ns = static_cast<std::int64_t>(o_.duration_s * 1e9);
    std::int64_t next_tick = start + 1'000'000'000;
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const std::int64_t now = now_ns();
        if (now >= next_tick) { // the timeline's sample; shown unless --no-status
            const Interval& i = timeline_.add(static_cast<double>(now - start) / 1e9, totals());
            if (o_.status)
                status_line(i);
            next_tick += 1'000'000'000;
        }
        const bool time_up = duration_ns > 0 && now - start >= duration_ns;
        if (time_up || interrupted_.load())
            stop_clients_.store(true);
        if (o_.role == Role::server) {
            std::uint64_t served = 0;
            for (auto* w : server_stats)
                served += w->conns_done.load();
            if (stop_clients_.load() || stop_server_.load() ||
                (o_.connections != 0 && served >= o_.connections))
                break;
        } else if (clients_running_.load() == 0) {
            break;
        }
    }
    // Shutting down: every step has a watchdog deadline.
    watchdog.phase("stopping the client threads");
    stop_clients_.store(true);
    for (auto& t : clients)
        t.join();
    const std::int64_t data_end = now_ns();
    if (has_server) {
        watchdog.phase("stopping the server");
        stop_accepting();
        acceptor.join();
        for (auto& t : servers)
            t.join();
    }
    const double elapsed = static_cast<double>(data_end - start) / 1e9;
    Summary s = collect(elapsed);
    if (o_.role == Role::embedded && o_.mem_probe > 0 && fatal_.empty()) {
        watchdog.phase("the memory probe");
        memory_probe(s);
    }
    if (has_server)
        (void)t_.close(listener_);
    watchdog.clear_phase();
    return s;
}

} // namespace

Summary run_workload(Transport& t, const Options& o, const std::atomic<bool>& interrupted) {
    Run run(t, o, interrupted);
    return run.execute();
}

} // namespace riosp::load
