// One connection (connection.h): the hello codec, the shutdown plan, and the conversation.
#include "connection.h"

#include "support/alloc_counter.h"
#include "support/bsd_peer.h"

#include <cstring>

namespace riosp::load {

void encode(const Hello& h, std::uint8_t* p) noexcept {
    std::memset(p, 0, hello_size);
    std::memcpy(p, hello_magic, 8);
    put64(p + 8, h.id);
    p[16] = static_cast<std::uint8_t>(h.pattern);
    p[17] = static_cast<std::uint8_t>(h.plan);
    put64(p + 20, h.message_size); // low 4 bytes used; p[24..27] stay 0
    put64(p + 24, h.bytes);
}

bool decode(const std::uint8_t* p, Hello& h) noexcept {
    if (std::memcmp(p, hello_magic, 8) != 0 || p[16] > 3 || p[17] > 2)
        return false;
    h.id = get64(p + 8);
    h.pattern = static_cast<Pattern>(p[16]);
    h.plan = static_cast<Plan>(p[17]);
    h.message_size = static_cast<std::uint32_t>(get64(p + 20) & 0xffffffffu);
    h.bytes = get64(p + 24);
    return h.id != 0 && h.message_size != 0 && h.message_size <= 16u * 1024 * 1024;
}

Plan choose_plan(Shutdown kind, std::uint64_t seed, std::uint64_t id) noexcept {
    switch (kind) {
    case Shutdown::graceful:
        return Plan::graceful;
    case Shutdown::rude:
        return (id & 1) ? Plan::rude_server_aborts : Plan::rude_client_aborts;
    case Shutdown::random:
        return static_cast<Plan>(mix64(seed * 0x2545F4914F6CDD1Dull ^ id) % 3);
    }
    return Plan::graceful;
}

// ---------------------------------------------------------------- Conn steps
Failure Conn::send_raw(const std::uint8_t* p, std::size_t n, const char* phase) {
    while (n > 0) {
        std::size_t done = 0;
        if (int err = t_.send(s_, p, n, done))
            return {Outcome::wsa_error, err, phase};
        if (done == 0)
            return {Outcome::wsa_error, WSAENOBUFS, phase}; // a blocking send that sent nothing
        progress(phase);
        p += done;
        n -= done;
    }
    return {};
}

Failure Conn::recv_raw(std::uint8_t* p, std::size_t n, const char* phase) {
    while (n > 0) {
        std::size_t done = 0;
        if (int err = t_.recv(s_, p, n, done))
            return {Outcome::wsa_error, err, phase};
        if (done == 0)
            return {Outcome::data_error, 0, phase}; // FIN too early
        progress(phase);
        p += done;
        n -= done;
    }
    return {};
}

Failure Conn::send_stream(Dir d, std::uint64_t off, std::uint64_t n, std::vector<std::uint8_t>& buf,
                          std::uint64_t& counter) {
    while (n > 0) {
        std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, buf.size()));
        fill(id, d, off, buf.data(), chunk);
        std::size_t sent = 0;
        while (sent < chunk) {
            std::size_t done = 0;
            if (int err = t_.send(s_, buf.data() + sent, chunk - sent, done))
                return {Outcome::wsa_error, err, "send"};
            if (done == 0)
                return {Outcome::wsa_error, WSAENOBUFS, "send"};
            sent += done;
            counter += done;
            w_.bytes_sent.fetch_add(done, std::memory_order_relaxed);
            progress("send");
        }
        off += chunk;
        n -= chunk;
    }
    return {};
}

Failure Conn::recv_exact(Dir d, std::uint64_t off, std::uint64_t n, std::uint64_t stream_id,
                         const char* phase, std::uint64_t& counter) {
    while (n > 0) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, rbuf_.size()));
        std::size_t done = 0;
        if (int err = t_.recv(s_, rbuf_.data(), want, done))
            return {Outcome::wsa_error, err, phase};
        if (done == 0) {
            run_.data_error(id, "the stream ended early (0-byte receive)", off, 0, 0);
            return {Outcome::data_error, 0, phase};
        }
        progress(phase);
        counter += done;
        w_.bytes_received.fetch_add(done, std::memory_order_relaxed);
        std::size_t bad = verify(stream_id, d, off, rbuf_.data(), done);
        if (bad != done) {
            run_.data_error(id, "a received byte differs from the pattern", off + bad,
                            expected_byte(stream_id, d, off + bad), rbuf_[bad]);
            return {Outcome::data_error, 0, phase};
        }
        off += done;
        n -= done;
    }
    return {};
}

int Conn::disconnect_call(int (Transport::*fn)(Sock) noexcept) {
    const alloc::ThreadScope scope;
    int err = (t_.*fn)(s_);
    w_.disconnect_allocs += scope.counted().allocations;
    ++w_.disconnect_calls;
    return err;
}

Failure Conn::final_receive_expect_fin() {
    std::size_t done = 0;
    int err = t_.recv(s_, rbuf_.data(), rbuf_.size(), done);
    if (err != 0)
        return {Outcome::wsa_error, err, "final receive"};
    if (done != 0) {
        run_.data_error(id, "data after the stream's end (final receive expected 0 bytes)", 0, 0,
                        rbuf_[0]);
        return {Outcome::data_error, 0, "final receive"};
    }
    progress("final receive");
    return {};
}

Failure Conn::final_receive_expect_reset() {
    std::size_t done = 0;
    int err = t_.recv(s_, rbuf_.data(), rbuf_.size(), done);
    if (err == WSAECONNRESET) {
        progress("final receive");
        return {};
    }
    if (err != 0)
        return {Outcome::wsa_error, err, "final receive (expecting a reset)"};
    if (done != 0) {
        run_.data_error(id, "data after the done marker", 0, 0, rbuf_[0]);
        return {Outcome::data_error, 0, "final receive (expecting a reset)"};
    }
    // Where the system's TCP turns an abortive close into a graceful one (Wine 8), the FIN is
    // what the peer's abort looks like: counted and reported, not an error.
    static const bool resets_work = bsd::tcp_resets_work();
    if (!resets_work) {
        ++w_.resets_as_fin;
        progress("final receive");
        return {};
    }
    return {Outcome::shutdown_error, 0, "final receive (expecting a reset, got a 0-byte FIN)"};
}

void Conn::close_after_failure() {
    if (!closed_) {
        (void)t_.close(s_);
        closed_ = true;
    }
}

void Conn::converse(Side side, const Hello& h, ConnRecord& rec) {
    const bool client = side == Side::client;
    const Dir out = client ? Dir::client_to_server : Dir::server_to_client;
    const Dir in = client ? Dir::server_to_client : Dir::client_to_server;
    const std::uint64_t B = h.bytes;
    const std::uint64_t out_bytes = h.pattern == Pattern::push   ? (client ? B : 0)
                                    : h.pattern == Pattern::pull ? (client ? 0 : B)
                                                                 : B;
    const std::uint64_t in_bytes = h.pattern == Pattern::push   ? (client ? 0 : B)
                                   : h.pattern == Pattern::pull ? (client ? B : 0)
                                                                : B;
    const bool graceful = h.plan == Plan::graceful;
    const bool aborter = (h.plan == Plan::rude_client_aborts && client) ||
                         (h.plan == Plan::rude_server_aborts && !client);
    id = h.id;
    rec.id = h.id;
    rec.pattern = h.pattern;
    rec.plan = h.plan;

    auto fin = [&]() -> Failure {
        if (int err = disconnect_call(&Transport::send_disconnect))
            return {Outcome::wsa_error, err, "WSASendDisconnect"};
        return {};
    };
    Failure f;
    // ---- data
    if (h.pattern == Pattern::pingpong) {
        const std::uint64_t m = h.message_size;
        for (std::uint64_t off = 0; off < B && f.ok(); off += m) {
            const std::uint64_t n = std::min(m, B - off);
            const bool last = off + n >= B;
            if (client) {
                const std::int64_t t = now_ns();
                f = send_stream(out, off, n, sbuf_, rec.bytes_sent);
                if (f.ok() && graceful && last)
                    f = fin();
                if (f.ok())
                    f = recv_exact(in, off, n, id, "receive", rec.bytes_received);
                if (f.ok()) {
                    w_.round_trip.record(static_cast<std::uint64_t>(now_ns() - t));
                    ++rec.round_trips;
                }
            } else {
                f = recv_exact(in, off, n, id, "receive", rec.bytes_received);
                if (f.ok())
                    f = send_stream(out, off, n, sbuf_, rec.bytes_sent);
                if (f.ok() && graceful && last)
                    f = fin();
            }
        }
        if (f.ok() && B == 0 && graceful)
            f = fin();
    } else if (h.pattern == Pattern::duplex && companion_ != nullptr) {
        Failure sent;
        std::uint64_t sent_bytes = 0;
        companion_->start([&] {
            sent = send_stream(out, 0, out_bytes, sbuf_, sent_bytes);
            if (sent.ok() && graceful)
                sent = fin();
        });
        f = recv_exact(in, 0, in_bytes, id, "receive", rec.bytes_received);
        // On a failure the socket stays open until the companion is done (closing it under a
        // blocked send could hand its number to another connection); the watchdog bounds it.
        companion_->wait();
        rec.bytes_sent += sent_bytes;
        if (f.ok())
            f = sent;
    } else { // push, pull (and duplex without a companion: send all, then receive)
        if (out_bytes > 0)
            f = send_stream(out, 0, out_bytes, sbuf_, rec.bytes_sent);
        if (f.ok() && graceful)
            f = fin();
        if (f.ok())
            f = recv_exact(in, 0, in_bytes, id, "receive", rec.bytes_received);
    }
    // ---- shutdown
    if (f.ok()) {
        if (graceful) {
            f = final_receive_expect_fin();
            if (f.ok()) {
                if (int err = disconnect_call(&Transport::close))
                    f = {Outcome::wsa_error, err, "closesocket"};
                closed_ = true;
            }
        } else if (aborter) {
            std::uint64_t ignored = 0;
            f = recv_exact(in, done_offset, done_size, id, "done marker", ignored);
            w_.bytes_received.fetch_sub(ignored, std::memory_order_relaxed); // not payload
            if (f.ok()) {
                if (int err = disconnect_call(&Transport::set_abortive))
                    f = {Outcome::wsa_error, err, "SO_LINGER {1,0}"};
            }
            if (f.ok()) {
                if (int err = disconnect_call(&Transport::close))
                    f = {Outcome::wsa_error, err, "closesocket (abortive)"};
                closed_ = true;
            }
        } else {
            std::uint8_t marker[done_size];
            fill(id, out, done_offset, marker, done_size);
            f = send_raw(marker, done_size, "done marker");
            if (f.ok())
                f = final_receive_expect_reset();
            if (f.ok()) {
                if (int err = disconnect_call(&Transport::close))
                    f = {Outcome::wsa_error, err, "closesocket"};
                closed_ = true;
            }
        }
    }
    close_after_failure();
    rec.outcome = f.outcome;
    rec.wsa_error = f.wsa;
    rec.phase = f.phase;
}

} // namespace riosp::load
