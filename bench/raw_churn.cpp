// Raw baselines for half-close churn (provider_churn.cpp) and the 64 B ping-pong percentiles.
//
// Churn protocol, per connection: the client connects, sends a 1-byte request and
// shutdown(SHUT_WR); the server reads the request, drains to the 0-byte receive, sends a 1-byte
// response and closes; the client reads the response, then the 0-byte receive, and closes.
// The clients are always `concurrency` blocking threads over plain sockets; the server is one
// of three classic designs: a thread per connection (blocking accept in a pool of
// `concurrency` threads), one epoll thread, one liburing thread.
#include "bench_util.h"
#include "support/bsd_peer.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace riosp::bench {
namespace {

// One client connection of the churn protocol; 0 or -errno.
int raw_client_once(std::uint16_t port) {
    int fd = bsd::connect_loopback(port);
    if (fd < 0)
        return fd;
    char b = 'q';
    int err = 0;
    if (bsd::send_all(fd, &b, 1) != 0 || bsd::shut(fd, bsd::Shut::wr) != 0)
        err = -EPIPE;
    else if (bsd::recv_exact(fd, &b, 1) != 0 || b != 'r')
        err = -EPROTO;
    else if (bsd::drain_to_eof(fd) != 0)
        err = -ECONNRESET;
    close(fd);
    return err;
}

// Server side of one connection on a blocking descriptor.
void blocking_serve(int fd) {
    char b = 0;
    if (bsd::recv_exact(fd, &b, 1) == 0 && bsd::drain_to_eof(fd) == 0) {
        b = 'r';
        (void)bsd::send_all(fd, &b, 1);
    }
    close(fd);
}

class Server {
public:
    virtual ~Server() = default;
};

class BlockingServer final : public Server {
public:
    BlockingServer(const bsd::Listener& l, int threads) : lfd_(l.fd()) {
        for (int i = 0; i < threads; ++i)
            pool_.emplace_back([this] {
                for (;;) {
                    int fd = accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
                    if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                            continue;
                        return; // shutdown(listener) wakes us with EINVAL
                    }
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    blocking_serve(fd);
                }
            });
    }
    ~BlockingServer() override {
        shutdown(lfd_, SHUT_RDWR);
        for (auto& t : pool_)
            t.join();
    }

private:
    int lfd_;
    std::vector<std::thread> pool_;
};

class EpollServer final : public Server {
public:
    explicit EpollServer(const bsd::Listener& l) : lfd_(l.fd()) {
        // accept4 below loops until EAGAIN: the listener must not block.
        fcntl(lfd_, F_SETFL, fcntl(lfd_, F_GETFL) | O_NONBLOCK);
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        stop_ = eventfd(0, EFD_CLOEXEC);
        add(lfd_);
        add(stop_);
        thread_ = std::thread([this] { loop(); });
    }
    ~EpollServer() override {
        std::uint64_t one = 1;
        (void)!write(stop_, &one, sizeof one);
        thread_.join();
        close(stop_);
        close(ep_);
    }

private:
    void add(int fd) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    }
    void loop() {
        std::array<epoll_event, 256> evs{};
        char buf[64];
        for (;;) {
            int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), -1);
            for (int i = 0; i < n; ++i) {
                int fd = evs[static_cast<std::size_t>(i)].data.fd;
                if (fd == stop_)
                    return;
                if (fd == lfd_) {
                    for (;;) {
                        int c = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (c < 0)
                            break;
                        int one = 1;
                        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                        add(c);
                    }
                    continue;
                }
                for (;;) {
                    ssize_t r = recv(fd, buf, sizeof buf, 0);
                    if (r > 0)
                        continue;
                    if (r == 0) { // request and FIN seen: respond and close
                        char b = 'r';
                        (void)send(fd, &b, 1, MSG_NOSIGNAL);
                        close(fd);
                    } else if (errno != EAGAIN && errno != EINTR) {
                        close(fd);
                    }
                    break;
                }
            }
        }
    }

    int lfd_;
    int ep_ = -1;
    int stop_ = -1;
    std::thread thread_;
};

class UringServer final : public Server {
public:
    explicit UringServer(const bsd::Listener& l) : lfd_(l.fd()) {
        ok_ = io_uring_queue_init(1024, &ring_, 0) == 0;
        stop_ = eventfd(0, EFD_CLOEXEC);
        if (ok_)
            thread_ = std::thread([this] { loop(); });
    }
    ~UringServer() override {
        std::uint64_t one = 1;
        (void)!write(stop_, &one, sizeof one);
        if (thread_.joinable())
            thread_.join();
        if (ok_)
            io_uring_queue_exit(&ring_);
        close(stop_);
    }
    [[nodiscard]] bool ok() const { return ok_; }

private:
    enum Kind : std::uint8_t { accept_op, recv_op, send_op, close_op, stop_op };
    struct Conn {
        Kind kind = recv_op;
        int fd = -1;
        char buf[64] = {};
    };
    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&ring_);
        while (s == nullptr) {
            io_uring_submit(&ring_);
            s = io_uring_get_sqe(&ring_);
        }
        return s;
    }
    void arm_accept() {
        io_uring_sqe* s = sqe();
        io_uring_prep_accept(s, lfd_, nullptr, nullptr, SOCK_CLOEXEC);
        io_uring_sqe_set_data64(s, accept_op);
    }
    void arm(Conn* c, Kind k) {
        c->kind = k;
        io_uring_sqe* s = sqe();
        if (k == recv_op)
            io_uring_prep_recv(s, c->fd, c->buf, sizeof c->buf, 0);
        else if (k == send_op)
            io_uring_prep_send(s, c->fd, c->buf, 1, MSG_NOSIGNAL);
        else
            io_uring_prep_close(s, c->fd);
        io_uring_sqe_set_data(s, c);
    }
    void loop() {
        std::uint64_t stop_value = 0;
        io_uring_sqe* s = sqe();
        io_uring_prep_read(s, stop_, &stop_value, sizeof stop_value, 0);
        io_uring_sqe_set_data64(s, stop_op);
        arm_accept();
        for (;;) {
            io_uring_submit_and_wait(&ring_, 1);
            io_uring_cqe* cqe = nullptr;
            unsigned head = 0;
            unsigned seen = 0;
            bool stop = false;
            io_uring_for_each_cqe(&ring_, head, cqe) {
                ++seen;
                const std::uint64_t ud = cqe->user_data;
                const int res = cqe->res;
                if (ud == stop_op) {
                    stop = true;
                } else if (ud == accept_op) {
                    if (res >= 0) {
                        int one = 1;
                        setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                        auto* c = new Conn;
                        c->fd = res;
                        arm(c, recv_op);
                    }
                    arm_accept();
                } else {
                    auto* c = reinterpret_cast<Conn*>(ud);
                    if (c->kind == recv_op && res > 0) {
                        arm(c, recv_op);
                    } else if (c->kind == recv_op && res == 0) {
                        c->buf[0] = 'r';
                        arm(c, send_op);
                    } else if (c->kind == close_op) {
                        delete c;
                    } else {
                        arm(c, close_op); // response sent, or an error
                    }
                }
            }
            io_uring_cq_advance(&ring_, seen);
            if (stop)
                return; // connections still open at exit are the benchmark's, none normally
        }
    }

    int lfd_;
    int stop_ = -1;
    bool ok_ = false;
    io_uring ring_{};
    std::thread thread_;
};

enum class Design { blocking, epoll, uring };

void raw_churn(benchmark::State& state, Design design) {
    const int concurrency = static_cast<int>(state.range(0));
    bsd::Listener listener(4096);
    std::unique_ptr<Server> server;
    if (design == Design::blocking) {
        server = std::make_unique<BlockingServer>(listener, concurrency);
    } else if (design == Design::epoll) {
        server = std::make_unique<EpollServer>(listener);
    } else {
        auto u = std::make_unique<UringServer>(listener);
        if (!u->ok()) {
            state.SkipWithError("io_uring_queue_init failed");
            return;
        }
        server = std::move(u);
    }
    const std::uint16_t port = listener.port();
    ClientPool clients(concurrency, [port](int) { return raw_client_once(port); });
    const int batch = churn_batch(concurrency);
    std::int64_t done = 0;
    (void)clients.run(batch); // untimed warm-up (bench_util.h)
    for (auto _ : state) {
        int err = clients.run(batch);
        if (err != 0) {
            state.SkipWithError(bsd::is_addr_not_avail(err)
                                    ? "EADDRNOTAVAIL: ephemeral ports exhausted (TIME_WAIT); "
                                      "churn stopped"
                                    : bsd::error_text(err));
            break;
        }
        done += batch;
    }
    server.reset();
    state.SetItemsProcessed(done);
    state.counters["conns_per_s"] =
        benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
}

void BM_Churn_RawBlocking(benchmark::State& s) {
    raw_churn(s, Design::blocking);
}
void BM_Churn_RawEpoll(benchmark::State& s) {
    raw_churn(s, Design::epoll);
}
void BM_Churn_RawUring(benchmark::State& s) {
    raw_churn(s, Design::uring);
}
BENCHMARK(BM_Churn_RawBlocking)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->Iterations(churn_iterations);
BENCHMARK(BM_Churn_RawEpoll)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->Iterations(churn_iterations);
BENCHMARK(BM_Churn_RawUring)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->Iterations(churn_iterations);

// 64 B ping-pong on a plain blocking pair with a plain echo thread, with per-iteration times
// for p50/p99 (the same exchange as BM_PingPong64_RawBlocking).
void BM_PingPong64_RawBlockingPct(benchmark::State& state) {
    bsd::Pair pair = bsd::make_pair();
    std::thread echo([fd = pair.server] {
        std::array<char, 64> buf{};
        while (bsd::recv_exact(fd, buf.data(), buf.size()) == 0 &&
               bsd::send_all(fd, buf.data(), buf.size()) == 0) {
        }
    });
    std::array<char, 64> msg{};
    Samples samples;
    samples.reserve(1 << 20);
    for (auto _ : state) {
        const auto t0 = Clock::now();
        if (bsd::send_all(pair.client, msg.data(), msg.size()) != 0 ||
            bsd::recv_exact(pair.client, msg.data(), msg.size()) != 0) {
            state.SkipWithError("loopback I/O failed");
            break;
        }
        const double dt = seconds_between(t0, Clock::now());
        samples.add(dt);
        state.SetIterationTime(dt);
    }
    shutdown(pair.client, SHUT_WR);
    echo.join();
    bsd::close_pair(pair);
    samples.report(state);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong64_RawBlockingPct)->UseManualTime();

} // namespace
} // namespace riosp::bench
