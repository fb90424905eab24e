// The UDP workload (--protocol udp). Blocking sockets and a fixed thread set, as the TCP
// workload: `concurrency` server sockets, each with a thread answering requests (recvfrom /
// sendto on an unbound peer), and `concurrency` client threads, thread t owning the flows
// t, t + concurrency, ... (--connections flows in all): one socket per flow, connected to server
// socket t (send / recv). A client thread serves its flows in turn, one window at a time: it
// sends `window` requests with consecutive sequence numbers, then receives until each has its
// answer or the loss timeout has passed.
//
// Every datagram starts with a 32-byte header (little-endian):
//   0 magic "RLU1", 4 kind, 8 flow id, 16 sequence number, 24 payload length, 28 check value
//   (a mix of the other fields: a damaged header is corrupted, not a datagram of another flow);
// the payload is pattern.h's stream of (flow, direction) at offset seq << 16, so both sides
// verify every byte without keeping a copy, and the server's answer is its own stream, not an
// echo: a datagram delivered to the wrong socket or twice cannot pass for the right one.
//
// Losing a datagram must not hang a blocking receive, and riosp's provider has no SO_RCVTIMEO:
// the run's main loop sends a "nudge" datagram from the server socket to a flow that has waited
// longer than the loss timeout; the flow then counts what is still unanswered as lost. The same
// trick ends the server threads: each server socket gets a "stop" datagram from itself.
#include "datagram_workload.h"

#include "connection.h"
#include "pattern.h"
#include "watchdog.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace riosp::load {
namespace {

// ---------------------------------------------------------------- the header
enum class Kind : std::uint8_t { request = 1, response = 2, nudge = 3, stop = 4 };
constexpr char magic[4] = {'R', 'L', 'U', '1'};
constexpr int seq_shift = 16; // payload offset = seq << 16: no two datagrams share stream bytes

struct Header {
    Kind kind = Kind::request;
    std::uint64_t flow = 0;
    std::uint64_t seq = 0;
    std::uint32_t length = 0; // payload bytes after the header
};

std::uint32_t check_of(const Header& h) noexcept {
    return static_cast<std::uint32_t>(mix64(h.flow * 0x9E3779B97F4A7C15ull ^ mix64(h.seq) ^
                                            (std::uint64_t{h.length} << 8) ^
                                            static_cast<std::uint64_t>(h.kind)));
}

void encode(const Header& h, std::uint8_t* p) noexcept {
    std::memcpy(p, magic, 4);
    p[4] = static_cast<std::uint8_t>(h.kind);
    p[5] = p[6] = p[7] = 0;
    put64(p + 8, h.flow);
    put64(p + 16, h.seq);
    put64(p + 24, std::uint64_t{h.length} | (std::uint64_t{check_of(h)} << 32));
}

// False for a datagram that is not riosp-load's, or whose header or length is damaged.
bool decode(const std::uint8_t* p, std::size_t n, Header& h) noexcept {
    if (n < udp_header_size || std::memcmp(p, magic, 4) != 0 || p[4] < 1 || p[4] > 4)
        return false;
    h.kind = static_cast<Kind>(p[4]);
    h.flow = get64(p + 8);
    h.seq = get64(p + 16);
    const std::uint64_t tail = get64(p + 24);
    h.length = static_cast<std::uint32_t>(tail);
    return static_cast<std::uint32_t>(tail >> 32) == check_of(h) && h.length == n - udp_header_size;
}

// A whole datagram: header, then the (flow, direction) stream's bytes for `seq`.
std::size_t build(Kind kind, std::uint64_t flow, std::uint64_t seq, Dir d, std::size_t size,
                  std::uint8_t* p) noexcept {
    const Header h{kind, flow, seq, static_cast<std::uint32_t>(size - udp_header_size)};
    encode(h, p);
    fill(flow, d, seq << seq_shift, p + udp_header_size, h.length);
    return size;
}

// The index of the first payload byte that is not the stream's, or h.length when all match.
std::size_t check_payload(const Header& h, Dir d, const std::uint8_t* p) noexcept {
    return verify(h.flow, d, h.seq << seq_shift, p + udp_header_size, h.length);
}

// ---------------------------------------------------------------- the run
struct Flow {
    std::uint64_t id = 0;
    Sock s = bad_sock;
    Endpoint local; // where nudges go
    std::uint64_t next_seq = 0;
    std::uint64_t highest = 0; // the highest sequence number answered so far
    bool answered = false;
    std::set<std::uint64_t> lost_seqs; // to tell a late answer from a duplicate
    DatagramCounts counts;
};

// A client thread's receive, as the main loop sees it (for nudges).
struct Waiting {
    std::atomic<std::int64_t> since_ns{0}; // 0: not waiting for answers
    std::atomic<const Flow*> flow{nullptr};
    std::int64_t last_nudge_ns = 0; // main loop only
};

class Run {
public:
    Run(Transport& t, const Options& o, const std::atomic<bool>& interrupted)
        : t_(t), o_(o), interrupted_(interrupted),
          threads_(static_cast<unsigned>(
              o.connections == 0 ? o.concurrency
                                 : std::min<std::uint64_t>(o.concurrency, o.connections))),
          flow_count_(o.connections == 0 ? threads_ : o.connections), size_(o.message_size),
          loss_ns_(static_cast<std::int64_t>(o.loss_timeout_s * 1e9)) {
        // Tests only: the server leaves every Nth request unanswered, so the loss path (nudge,
        // lost count, --strict) can be checked on a loopback that never drops anything.
        if (const char* drop = std::getenv("RIOSP_LOAD_UDP_DROP_EVERY"))
            drop_every_ = std::strtoull(drop, nullptr, 10);
    }
    ~Run() {
        for (auto& flows : flows_)
            for (auto& f : flows)
                if (f.s != bad_sock)
                    (void)t_.close(f.s);
        for (Sock s : servers_)
            (void)t_.close(s);
    }
    Summary execute();

private:
    bool open_sockets();
    void client_thread(unsigned t, WorkerStats& w);
    bool exchange(WorkerStats& w, Waiting& waiting, Flow& f, std::vector<std::uint8_t>& sbuf,
                  std::vector<std::uint8_t>& rbuf);
    void answer(WorkerStats& w, Flow& f, const Header& h, std::int64_t now, std::uint64_t base,
                std::vector<std::int64_t>& sent_ns, std::vector<bool>& got, unsigned& outstanding);
    void server_thread(unsigned t, WorkerStats& w);
    void nudge_waiting_flows();
    void stop_servers();
    void corrupted(const char* side, std::uint64_t flow, std::uint64_t seq, const char* what);
    void wsa_failure(WorkerStats& w, const char* what, std::uint64_t flow, int err);
    void fatal(const std::string& message);
    [[nodiscard]] Totals totals() const;
    void status_line(const Interval& i);
    Summary collect(double elapsed);

    Transport& t_;
    const Options& o_;
    const std::atomic<bool>& interrupted_;
    const unsigned threads_;
    const std::uint64_t flow_count_;
    const std::size_t size_;
    const std::int64_t loss_ns_;
    std::uint64_t drop_every_ = 0; // RIOSP_LOAD_UDP_DROP_EVERY
    std::vector<Sock> servers_;
    std::vector<Endpoint> server_at_;      // where flows send (loopback for a wildcard bind)
    std::vector<std::vector<Flow>> flows_; // by client thread
    std::unique_ptr<Waiting[]> waiting_;
    std::unique_ptr<std::atomic<bool>[]> server_done_;
    std::vector<std::unique_ptr<WorkerStats>> workers_;
    std::atomic<bool> stop_clients_{false};
    std::atomic<bool> stop_servers_{false};
    std::atomic<unsigned> clients_running_{0};
    std::atomic<int> reports_{0};
    std::mutex fatal_mutex_;
    std::string fatal_;
    Timeline timeline_;
};

void Run::corrupted(const char* side, std::uint64_t flow, std::uint64_t seq, const char* what) {
    if (reports_.fetch_add(1) < 5)
        std::fprintf(stderr,
                     "riosp-load: %s: data error (%s side) on flow %llu, datagram %llu: %s\n",
                     t_.name(), side, static_cast<unsigned long long>(flow),
                     static_cast<unsigned long long>(seq), what);
}

// A UDP socket call that fails has no connection to end: every later datagram would repeat the
// error, so the first one ends the run (counted by code, as the TCP workload counts them).
void Run::wsa_failure(WorkerStats& w, const char* what, std::uint64_t flow, int err) {
    ++w.wsa_errors[err];
    w.errors.fetch_add(1, std::memory_order_relaxed);
    std::string where = flow != 0 ? " on flow " + std::to_string(flow) : std::string();
    fatal(std::string(t_.name()) + ": " + what + where + " failed: " + wsa::name(err).str());
}

void Run::fatal(const std::string& message) {
    std::lock_guard lock(fatal_mutex_);
    if (fatal_.empty()) {
        fatal_ = message;
        std::fprintf(stderr, "riosp-load: %s\n", message.c_str());
    }
    stop_clients_.store(true);
}

// ---------------------------------------------------------------- set-up
bool Run::open_sockets() {
    Endpoint at = o_.listen;
    for (unsigned t = 0; t < threads_; ++t) {
        // A fixed --listen port: server socket t takes port + t.
        if (o_.listen.port != 0)
            at.port = static_cast<std::uint16_t>(o_.listen.port + t);
        Sock s = bad_sock;
        Endpoint bound;
        if (int err = t_.udp_bind(at, s, bound)) {
            const bool unsupported = err == WSAESOCKTNOSUPPORT || err == WSAEPROTONOSUPPORT ||
                                     err == WSAEPROTOTYPE || err == WSAEAFNOSUPPORT ||
                                     err == WSAEOPNOTSUPP;
            fatal(std::string(t_.name()) + ": cannot open a UDP socket on " + to_string(at) + ": " +
                  wsa::name(err).str() +
                  (unsupported            ? " (the provider does not support UDP sockets)"
                   : err == WSAEADDRINUSE ? " (the port is in use)"
                                          : ""));
            return false;
        }
        servers_.push_back(s);
        server_at_.push_back(loopback_if_any(bound));
    }
    flows_.resize(threads_);
    for (std::uint64_t i = 0; i < flow_count_; ++i) {
        const auto t = static_cast<unsigned>(i % threads_);
        Flow& f = flows_[t].emplace_back();
        f.id = i + 1;
        if (int err = t_.udp_connect(server_at_[t], f.s, f.local)) {
            fatal(std::string(t_.name()) + ": cannot open flow " + std::to_string(f.id) +
                  "'s connected UDP socket to " + to_string(server_at_[t]) + ": " +
                  wsa::name(err).str());
            return false;
        }
        f.local = loopback_if_any(f.local);
    }
    return true;
}

// ---------------------------------------------------------------- client side
void Run::client_thread(unsigned t, WorkerStats& w) {
    std::vector<std::uint8_t> sbuf(size_);
    std::vector<std::uint8_t> rbuf(udp_max_datagram + 1); // +1: a too-long datagram shows
    // A failed exchange has already stopped the run (fatal).
    while (!stop_clients_.load())
        for (Flow& f : flows_[t])
            if (stop_clients_.load() || !exchange(w, waiting_[t], f, sbuf, rbuf))
                break;
    for (const Flow& f : flows_[t]) {
        w.datagrams.add(f.counts);
        w.flows.push_back({f.id, f.counts});
    }
    clients_running_.fetch_sub(1);
}

// One window of flow `f`: `window` requests, then their answers or the loss timeout. False when
// the run must end (a socket error).
bool Run::exchange(WorkerStats& w, Waiting& waiting, Flow& f, std::vector<std::uint8_t>& sbuf,
                   std::vector<std::uint8_t>& rbuf) {
    const std::uint64_t base = f.next_seq;
    const unsigned n = o_.window;
    std::vector<std::int64_t> sent_ns(n);
    std::vector<bool> got(n);
    std::int64_t now = now_ns();
    w.conn_id.store(f.id, std::memory_order_relaxed);
    w.phase.store("send", std::memory_order_relaxed);
    w.last_progress_ns.store(now, std::memory_order_relaxed);
    w.busy_since_ns.store(now, std::memory_order_relaxed);
    for (unsigned i = 0; i < n; ++i) {
        build(Kind::request, f.id, base + i, Dir::client_to_server, size_, sbuf.data());
        std::size_t done = 0;
        sent_ns[i] = now_ns();
        if (int err = t_.send(f.s, sbuf.data(), size_, done)) {
            wsa_failure(w, "send", f.id, err);
            return false;
        }
        ++f.counts.sent;
        w.bytes_sent.fetch_add(done, std::memory_order_relaxed);
    }
    f.next_seq = base + n;
    unsigned outstanding = n;
    const std::int64_t deadline = now_ns() + loss_ns_;
    waiting.flow.store(&f);
    waiting.since_ns.store(now_ns());
    w.phase.store("receive", std::memory_order_relaxed);
    while (outstanding > 0) {
        std::size_t done = 0;
        if (int err = t_.recv(f.s, rbuf.data(), rbuf.size(), done)) {
            waiting.since_ns.store(0);
            wsa_failure(w, "recv", f.id, err);
            return false;
        }
        now = now_ns();
        w.last_progress_ns.store(now, std::memory_order_relaxed);
        w.bytes_received.fetch_add(done, std::memory_order_relaxed);
        Header h;
        if (!decode(rbuf.data(), done, h)) {
            ++f.counts.corrupted;
            corrupted("client", f.id, 0, "a damaged header or a wrong length");
        } else if (h.kind == Kind::nudge) {
            if (now >= deadline)
                break; // the rest is lost
        } else if (h.kind != Kind::response || h.flow != f.id || h.seq >= base + n) {
            ++f.counts.corrupted;
            corrupted("client", f.id, h.seq, "not an answer to a request of this flow");
        } else if (std::size_t bad = check_payload(h, Dir::server_to_client, rbuf.data());
                   bad != h.length) {
            ++f.counts.corrupted;
            corrupted("client", f.id, h.seq, "payload differs from the server's stream");
        } else {
            answer(w, f, h, now, base, sent_ns, got, outstanding);
        }
    }
    waiting.since_ns.store(0);
    w.busy_since_ns.store(0, std::memory_order_relaxed);
    for (unsigned i = 0; i < n; ++i)
        if (!got[i]) {
            ++f.counts.lost;
            w.datagrams_lost.fetch_add(1, std::memory_order_relaxed);
            if (f.lost_seqs.size() < 65536) // bounded: past it a late answer reads as duplicate
                f.lost_seqs.insert(base + i);
        }
    return true;
}

// A verified answer `h` received at `now`: counted once, in order or not.
void Run::answer(WorkerStats& w, Flow& f, const Header& h, std::int64_t now, std::uint64_t base,
                 std::vector<std::int64_t>& sent_ns, std::vector<bool>& got,
                 unsigned& outstanding) {
    if (h.seq < base) { // an earlier window's request: counted lost, or answered already
        if (f.lost_seqs.erase(h.seq) != 0)
            ++f.counts.late;
        else
            ++f.counts.duplicated;
        return;
    }
    const std::size_t i = h.seq - base;
    if (got[i]) {
        ++f.counts.duplicated;
        return;
    }
    got[i] = true;
    --outstanding;
    ++f.counts.received;
    w.round_trip.record(static_cast<std::uint64_t>(now - sent_ns[i]));
    w.datagrams_done.fetch_add(1, std::memory_order_relaxed);
    if (f.answered && h.seq < f.highest)
        ++f.counts.reordered;
    if (!f.answered || h.seq > f.highest)
        f.highest = h.seq;
    f.answered = true;
}

// ---------------------------------------------------------------- server side
void Run::server_thread(unsigned t, WorkerStats& w) {
    std::vector<std::uint8_t> rbuf(udp_max_datagram + 1);
    std::vector<std::uint8_t> sbuf(udp_max_datagram);
    const Sock s = servers_[t];
    std::uint64_t verified = 0;
    for (;;) {
        Endpoint from;
        std::size_t done = 0;
        if (int err = t_.recv_from(s, rbuf.data(), rbuf.size(), from, done)) {
            if (!stop_servers_.load())
                wsa_failure(w, "recvfrom", 0, err);
            break;
        }
        w.bytes_received.fetch_add(done, std::memory_order_relaxed);
        Header h;
        if (!decode(rbuf.data(), done, h)) {
            ++w.datagrams.corrupted;
            corrupted("server", 0, 0, "a damaged header or a wrong length");
            continue;
        }
        if (h.kind == Kind::stop) {
            if (stop_servers_.load())
                break;
            continue;
        }
        if (h.kind != Kind::request || h.flow == 0 || h.flow > flow_count_) {
            ++w.datagrams.corrupted;
            corrupted("server", h.flow, h.seq, "not a request of this run");
            continue;
        }
        if (check_payload(h, Dir::client_to_server, rbuf.data()) != h.length) {
            ++w.datagrams.corrupted; // unanswered: the client also counts it lost
            corrupted("server", h.flow, h.seq, "payload differs from the client's stream");
            continue;
        }
        if (drop_every_ != 0 && ++verified % drop_every_ == 0)
            continue;
        const std::size_t n =
            build(Kind::response, h.flow, h.seq, Dir::server_to_client, done, sbuf.data());
        if (int err = t_.send_to(s, sbuf.data(), n, from, done)) {
            wsa_failure(w, "sendto", h.flow, err);
            break;
        }
        ++w.datagrams.served;
        w.bytes_sent.fetch_add(done, std::memory_order_relaxed);
    }
    server_done_[t].store(true);
}

// ---------------------------------------------------------------- main loop helpers
void Run::nudge_waiting_flows() {
    std::uint8_t d[udp_header_size];
    const std::int64_t now = now_ns();
    for (unsigned t = 0; t < threads_; ++t) {
        Waiting& wt = waiting_[t];
        const std::int64_t since = wt.since_ns.load();
        const Flow* f = wt.flow.load();
        // Again every half loss timeout: a nudge can be lost too, or land before the deadline.
        if (since == 0 || f == nullptr || now - since < loss_ns_ ||
            now - wt.last_nudge_ns < loss_ns_ / 2)
            continue;
        wt.last_nudge_ns = now;
        build(Kind::nudge, f->id, 0, Dir::server_to_client, udp_header_size, d);
        std::size_t done = 0;
        (void)t_.send_to(servers_[t], d, sizeof d, f->local, done);
    }
}

void Run::stop_servers() {
    stop_servers_.store(true);
    std::uint8_t d[udp_header_size];
    build(Kind::stop, 0, 0, Dir::server_to_client, udp_header_size, d);
    for (;;) {
        bool all = true;
        for (unsigned t = 0; t < threads_; ++t) {
            if (server_done_[t].load())
                continue;
            all = false;
            std::size_t done = 0;
            (void)t_.send_to(servers_[t], d, sizeof d, server_at_[t], done);
        }
        if (all)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Totals Run::totals() const {
    return totals_of(workers_, [](const WorkerStats& w) {
        return w.datagrams_done.load(std::memory_order_relaxed);
    });
}

void Run::status_line(const Interval& i) {
    const Totals& now = timeline_.last();
    std::uint64_t lost = 0, errors = 0;
    for (const auto& w : workers_) {
        lost += w->datagrams_lost.load(std::memory_order_relaxed);
        errors += w->errors.load(std::memory_order_relaxed);
    }
    std::printf("[%5.1fs] %-5s %9llu dgrams (%7llu/s) %4llu flows | send %8.1f MB/s recv %8.1f "
                "MB/s | lost %llu errors %llu\n",
                i.end_s, t_.name(), static_cast<unsigned long long>(now.done),
                static_cast<unsigned long long>(i.added.done),
                static_cast<unsigned long long>(flow_count_),
                static_cast<double>(i.added.bytes_sent) / 1e6,
                static_cast<double>(i.added.bytes_received) / 1e6,
                static_cast<unsigned long long>(lost), static_cast<unsigned long long>(errors));
    std::fflush(stdout);
}

Summary Run::collect(double elapsed) {
    Summary s;
    s.protocol = Protocol::udp;
    s.transport = t_.name();
    s.elapsed_s = elapsed;
    s.strict = o_.strict;
    Histogram rtt;
    for (const auto& w : workers_) {
        s.bytes_sent += w->bytes_sent.load();
        s.bytes_received += w->bytes_received.load();
        rtt.merge(w->round_trip);
        for (const auto& [code, count] : w->wsa_errors)
            s.wsa_errors[code] += count;
        s.datagrams.add(w->datagrams);
        s.flows.insert(s.flows.end(), w->flows.begin(), w->flows.end());
    }
    std::sort(s.flows.begin(), s.flows.end(),
              [](const FlowRecord& a, const FlowRecord& b) { return a.flow < b.flow; });
    s.data_errors = s.datagrams.corrupted;
    s.round_trip = summarize(rtt);
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
    if (!open_sockets())
        return collect(0);
    waiting_ = std::make_unique<Waiting[]>(threads_);
    server_done_ = std::make_unique<std::atomic<bool>[]>(threads_);
    // Every WorkerStats exists before any thread starts (the status line walks the list).
    for (unsigned i = 0; i < 2 * threads_; ++i) {
        workers_.push_back(std::make_unique<WorkerStats>());
        workers_.back()->side = i < threads_ ? Side::server : Side::client;
    }
    std::vector<std::thread> servers, clients;
    for (unsigned t = 0; t < threads_; ++t)
        servers.emplace_back([this, t] { server_thread(t, *workers_[t]); });
    clients_running_.store(threads_);
    for (unsigned t = 0; t < threads_; ++t)
        clients.emplace_back([this, t] { client_thread(t, *workers_[threads_ + t]); });

    Watchdog watchdog(t_.name(), "flow", o_.timeout_s, workers_);
    const std::int64_t start = now_ns();
    const auto duration_ns = static_cast<std::int64_t>(o_.duration_s * 1e9);
    std::int64_t next_tick = start + 1'000'000'000;
    while (clients_running_.load() != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        const std::int64_t now = now_ns();
        if (now >= next_tick) { // the timeline's sample; shown unless --no-status
            const Interval& i = timeline_.add(static_cast<double>(now - start) / 1e9, totals());
            if (o_.status)
                status_line(i);
            next_tick += 1'000'000'000;
        }
        if ((duration_ns > 0 && now - start >= duration_ns) || interrupted_.load())
            stop_clients_.store(true);
        nudge_waiting_flows();
    }
    watchdog.phase("stopping the client threads");
    for (auto& t : clients)
        t.join();
    const std::int64_t data_end = now_ns();
    watchdog.phase("stopping the server threads");
    stop_servers();
    for (auto& t : servers)
        t.join();
    watchdog.clear_phase();
    return collect(static_cast<double>(data_end - start) / 1e9);
}

} // namespace

Summary run_datagram_workload(Transport& t, const Options& o,
                              const std::atomic<bool>& interrupted) {
    Run run(t, o, interrupted);
    return run.execute();
}

} // namespace riosp::load
