// Randomized model-based test of the provider's datagram (UDP) sockets on real sockets: random
// sequences of sends (blocking, non-blocking, overlapped), receives (the same three), datagrams
// from a plain peer, FIONREAD, both disconnects, shutdowns, connects to the peer and their
// dissolution, and closes, from several threads at once (each on its own pair of sockets, all on
// the shared workers and handle table), checked against a small reference model of
// docs/half-close.md, "Datagram sockets" (D16..D19). Loopback with a large SO_RCVBUF loses
// nothing, so the model is exact: every datagram a send accepted reaches the peer once, intact
// and in order, and nothing after SD_SEND; every datagram the peer sent is received intact and in
// order (receives claim them in the order they were called) unless the receive side was shut or
// the socket closed, and stays queued after SD_RECEIVE without an ICMP error for the peer; no
// call answers WSAENOTCONN for want of a connection, and every error is one the model allows.
//
// RIOSP_PROVIDER_DATAGRAM_MODEL_SEED=<n> replays a run; the seed is printed on failure.
// RIOSP_PROVIDER_DATAGRAM_MODEL_NO_DISSOLVE=1 leaves out dissolving the default peer (the step
// that found ProviderDatagram.DissolvingTheDefaultPeerKeepsTheBoundPort's bug), to tell a
// failure there from one elsewhere.
#include "provider_datagram_model.h"
#include "provider_datagram_model_peer.h"
#include "provider_fixture.h"
#include "provider_model_support.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

using model::expect_error;
using namespace datagram_model;

class DatagramPair {
public:
    // `peer_addr`: the peer's address, 127.0.0.1 and its port.
    DatagramPair(SOCKET s, std::uint16_t port, int peer, const sockaddr_in& peer_addr,
                 std::uint64_t id, bool dissolve)
        : s_(s), port_(port), peer_(peer, port_of(peer_addr), port), peer_addr_(peer_addr), id_(id),
          dissolve_(dissolve) {}
    // After a failure the socket may still be open with operations pending in buffers owned
    // here: the close aborts them, and they must be done before those buffers go.
    ~DatagramPair() {
        if (!m_.closed)
            (void)ws::closesocket(s_);
        for (auto& p : recvs_) {
            (void)ws::WSAWaitForMultipleEvents(1, &p->ov.hEvent, TRUE, completion_wait_ms, FALSE);
            ws::WSACloseEvent(p->ov.hEvent);
        }
        for (auto& p : sends_) {
            (void)ws::WSAWaitForMultipleEvents(1, &p->ov.hEvent, TRUE, completion_wait_ms, FALSE);
            ws::WSACloseEvent(p->ov.hEvent);
        }
    }
    DatagramPair(const DatagramPair&) = delete;
    DatagramPair& operator=(const DatagramPair&) = delete;

    // One random operation: a failure description or "".
    std::string step(Rng& rng) {
        const int mode = std::uniform_int_distribution<int>(0, 2)(rng);
        switch (std::uniform_int_distribution<int>(0, 99)(rng)) {
        case 0 ... 21:
            return do_send(rng, mode);
        case 22 ... 41:
            return do_recv(rng, mode);
        case 42 ... 56:
            return peer_send(rng, std::uniform_int_distribution<int>(1, 3)(rng));
        case 57 ... 60:
            return peer_.read(0);
        case 61 ... 64: {
            std::string err = check_sends(0);
            return err.empty() ? check_recvs() : err;
        }
        case 65 ... 67:
            return do_fionread();
        case 68 ... 71:
            return do_send_disconnect(rng);
        case 72 ... 75:
            return do_recv_disconnect(rng);
        case 76 ... 81:
            return do_shutdown(rng);
        case 82 ... 87:
            return do_connect(rng);
        case 88 ... 93:
            return do_recv_blocking_on_later_datagrams(rng);
        default:
            return do_close();
        }
    }

    // The end of the pair's sequence: what must complete completes, what is queued is received,
    // the socket closes (twice), and the peer must hold exactly the accepted datagrams.
    std::string finish() {
        std::string err = settle();
        if (err.empty() && !m_.closed && !m_.recv_shut) {
            if (!set_blocking(true))
                return "FIONBIO off failed with " + std::to_string(ws::WSAGetLastError());
            while (err.empty() && m_.next_rx < m_.peer_sent.size())
                err = do_recv_now(recv_buffer, false);
        }
        if (err.empty() && !m_.closed)
            err = do_close();
        if (err.empty())
            err = do_close(); // a second close: WSAENOTSOCK
        if (!err.empty())
            return err;
        std::vector<const std::string*> accepted;
        for (const auto& send : m_.sends)
            if (send.state == Model::Send::accepted)
                accepted.push_back(&send.data);
        return peer_.verify(accepted);
    }

private:
    // ---- our sends ----
    std::string do_send(Rng& rng, int mode) {
        const std::size_t size = random_size(rng);
        const std::size_t entry = m_.sends.size();
        std::string data = payload(id_, entry, size);
        // Without an address only when connected, or once in a while to see WSAENOTCONN.
        const bool no_address =
            std::uniform_int_distribution<int>(0, 9)(rng) < (m_.connected ? 3 : 1);
        const sockaddr_in to = peer_addr_;
        const auto* to_addr = no_address ? nullptr : reinterpret_cast<const sockaddr*>(&to);
        const int to_len = no_address ? 0 : static_cast<int>(sizeof to);
        std::unique_ptr<PendingSend> p;
        int rc = 0;
        DWORD bytes = 0;
        if (mode == 2) { // overlapped, with an event
            p = std::make_unique<PendingSend>();
            p->data = data;
            p->wb = WSABUF{static_cast<ULONG>(size), p->data.data()};
            p->ov.hEvent = ws::WSACreateEvent();
            rc = ws::WSASendTo(s_, &p->wb, 1, &bytes, 0, to_addr, to_len, &p->ov, nullptr);
        } else {
            if (!set_blocking(mode == 0) && !m_.closed)
                return "FIONBIO failed with " + std::to_string(ws::WSAGetLastError());
            rc = ws::sendto(s_, data.data(), static_cast<int>(size), 0, to_addr, to_len);
        }
        const int err = rc == SOCKET_ERROR ? ws::WSAGetLastError() : 0;
        if (p && err != WSA_IO_PENDING)
            ws::WSACloseEvent(p->ov.hEvent); // may reset the last error (Wine does): use err
        if (m_.closed)
            return expect_error(rc, err, WSAENOTSOCK, "send after close");
        if (m_.send_shut)
            return expect_error(rc, err, WSAESHUTDOWN, "send after SD_SEND");
        if (no_address && !m_.connected)
            return expect_error(rc, err, WSAENOTCONN, "send without an address or a default peer");
        if (err == WSA_IO_PENDING && p) {
            p->entry = entry;
            m_.sends.push_back({std::move(data), Model::Send::pending});
            sends_.push_back(std::move(p));
            return {};
        }
        if (err == WSAEWOULDBLOCK && mode == 1)
            return {}; // the kernel had no room: nothing was accepted
        if (err != 0)
            return "send (mode " + std::to_string(mode) + ") failed with " + std::to_string(err);
        if (static_cast<std::size_t>(mode == 2 ? static_cast<long>(bytes) : rc) != size)
            return "send (mode " + std::to_string(mode) + ") took " +
                   std::to_string(mode == 2 ? static_cast<long>(bytes) : rc) + " of " +
                   std::to_string(size) + " bytes";
        m_.sends.push_back({std::move(data), Model::Send::accepted});
        return {};
    }

    // Pending sends complete (accepted) or, once closed, may be aborted; wait_ms bounds each.
    std::string check_sends(int wait_ms) {
        while (!sends_.empty()) {
            PendingSend& p = *sends_.front();
            if (ws::WSAWaitForMultipleEvents(1, &p.ov.hEvent, TRUE, static_cast<DWORD>(wait_ms),
                                             FALSE) != WSA_WAIT_EVENT_0)
                return wait_ms == 0 ? std::string{} : "an overlapped send never completed";
            DWORD bytes = 0, flags = 0;
            const bool ok = ws::WSAGetOverlappedResult(s_, &p.ov, &bytes, FALSE, &flags) != FALSE;
            const int err = ok ? 0 : ws::WSAGetLastError();
            auto& entry = m_.sends[p.entry];
            if (ok && bytes == entry.data.size())
                entry.state = Model::Send::accepted;
            else if (m_.closed && err == WSA_OPERATION_ABORTED)
                entry.state = Model::Send::aborted;
            else
                return "overlapped send completed with " + std::to_string(err) + ", " +
                       std::to_string(bytes) + " bytes";
            ws::WSACloseEvent(p.ov.hEvent);
            sends_.pop_front();
        }
        return {};
    }

    // ---- our receives ----
    // Whether a received datagram is peer datagram `index`, cut to `cap` bytes with WSAEMSGSIZE
    // when longer, from the peer's address.
    std::string check_datagram(std::size_t index, const char* buf, std::size_t cap, int err,
                               long bytes, const sockaddr_in* from) {
        if (index >= m_.peer_sent.size())
            return "a receive got datagram " + std::to_string(index) + " of " +
                   std::to_string(m_.peer_sent.size()) + " the peer sent";
        const std::size_t size = m_.peer_sent[index];
        const std::string want = payload(id_ + 1000000, index, size);
        const bool cut = size > cap;
        if (err != (cut ? WSAEMSGSIZE : 0))
            return "datagram " + std::to_string(index) + " (" + std::to_string(size) + " bytes, " +
                   std::to_string(cap) + " room) came with error " + std::to_string(err);
        if (bytes >= 0 && static_cast<std::size_t>(bytes) != std::min(size, cap))
            return "datagram " + std::to_string(index) + " of " + std::to_string(size) +
                   " bytes came as " + std::to_string(bytes);
        if (want.compare(0, std::min(size, cap), buf, std::min(size, cap)) != 0)
            return "datagram " + std::to_string(index) + " corrupt (or another one)";
        if (from != nullptr && port_of(*from) != peer_.port())
            return "datagram " + std::to_string(index) + " from port " +
                   std::to_string(port_of(*from)) + ", not the peer's";
        return {};
    }

    std::size_t random_cap(Rng& rng) {
        return std::uniform_int_distribution<int>(0, 9)(rng) == 0
                   ? std::uniform_int_distribution<std::size_t>(1, max_datagram)(rng)
                   : recv_buffer;
    }

    std::string do_recv(Rng& rng, int mode) {
        const std::size_t cap = random_cap(rng);
        if (mode == 2)
            return post_recv(cap);
        if (mode == 1) {
            if (!set_blocking(false) && !m_.closed)
                return "FIONBIO on failed with " + std::to_string(ws::WSAGetLastError());
            return do_recv_now(cap, true);
        }
        // Blocking, only when the model knows a datagram is there for it.
        if (!m_.closed && !m_.recv_shut && m_.next_rx >= m_.peer_sent.size())
            return do_recv_blocking_on_later_datagrams(rng);
        if (!set_blocking(true) && !m_.closed)
            return "FIONBIO off failed with " + std::to_string(ws::WSAGetLastError());
        return do_recv_now(cap, false);
    }

    // One recvfrom in the socket's current mode.
    std::string do_recv_now(std::size_t cap, bool non_blocking) {
        std::array<char, recv_buffer> buf{};
        sockaddr_in from{};
        int from_len = sizeof from;
        const int rc = ws::recvfrom(s_, buf.data(), static_cast<int>(cap), 0,
                                    reinterpret_cast<sockaddr*>(&from), &from_len);
        const int err = rc == SOCKET_ERROR ? ws::WSAGetLastError() : 0;
        if (m_.closed)
            return expect_error(rc, WSAENOTSOCK, "recv after close");
        if (m_.recv_shut)
            return expect_error(rc, WSAESHUTDOWN, "recv after SD_RECEIVE");
        if (err == WSAEWOULDBLOCK && non_blocking) {
            if (!recvs_.empty() || m_.next_rx >= m_.peer_sent.size())
                return {}; // earlier overlapped receives claim what comes first
            // The peer's send returned, so its datagram is in our kernel queue (loopback
            // delivers within the send); unless delivery was deferred, it is lost.
            if (!readable_within(completion_wait_ms))
                return "datagram " + std::to_string(m_.next_rx) + " never became readable";
            return {};
        }
        const std::size_t index = m_.next_rx++;
        return check_datagram(index, buf.data(), cap, err, err == 0 ? rc : -1, &from);
    }

    // A blocking receive with nothing queued for it: the peer sends what it needs a moment
    // later, from another thread, so the receive really waits (in its caller, or queued behind
    // overlapped receives).
    std::string do_recv_blocking_on_later_datagrams(Rng& rng) {
        std::vector<std::string> later;
        if (!m_.closed && !m_.recv_shut)
            while (m_.next_rx >= m_.peer_sent.size() + later.size()) {
                const std::size_t size = random_size(rng);
                later.push_back(payload(id_ + 1000000, m_.peer_sent.size() + later.size(), size));
            }
        if (!set_blocking(true) && !m_.closed)
            return "FIONBIO off failed with " + std::to_string(ws::WSAGetLastError());
        std::vector<long> results(later.size());
        std::thread sender([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            for (std::size_t i = 0; i < later.size(); ++i)
                results[i] = bsd::udp_send(peer_.fd(), 0, later[i].data(), later[i].size());
        });
        for (const auto& d : later)
            m_.peer_sent.push_back(d.size());
        std::string err = do_recv_now(random_cap(rng), false);
        sender.join();
        for (std::size_t i = 0; i < later.size() && err.empty(); ++i)
            if (results[i] != static_cast<long>(later[i].size()))
                err = "peer send returned " + std::to_string(results[i]);
        return err;
    }

    std::string post_recv(std::size_t cap) {
        auto p = std::make_unique<PendingRecv>();
        p->wb = WSABUF{static_cast<ULONG>(cap), p->buf.data()};
        p->ov.hEvent = ws::WSACreateEvent();
        DWORD bytes = 0;
        const int rc =
            ws::WSARecvFrom(s_, &p->wb, 1, &bytes, &p->flags, reinterpret_cast<sockaddr*>(&p->from),
                            &p->from_len, &p->ov, nullptr);
        const int err = rc == SOCKET_ERROR ? ws::WSAGetLastError() : 0;
        if (err != WSA_IO_PENDING)
            ws::WSACloseEvent(p->ov.hEvent); // may reset the last error (Wine does): use err
        if (m_.closed)
            return expect_error(rc, err, WSAENOTSOCK, "overlapped recv after close");
        if (m_.recv_shut)
            return expect_error(rc, err, WSAESHUTDOWN, "overlapped recv after SD_RECEIVE");
        p->index = m_.next_rx++;
        if (err == WSA_IO_PENDING) {
            recvs_.push_back(std::move(p));
            return {};
        }
        // Completed at once: with the next datagram, or cut with WSAEMSGSIZE.
        return check_datagram(p->index, p->buf.data(), cap, err, static_cast<long>(bytes),
                              &p->from);
    }

    // Pending receives complete in the order they were posted, each with the datagram it
    // claimed; wait_ms bounds the wait of each one whose datagram was sent. After close, a
    // receive that had not completed is aborted.
    std::string check_recvs(int wait_ms = 0) {
        while (!recvs_.empty()) {
            PendingRecv& p = *recvs_.front();
            const bool has_datagram = p.index < m_.peer_sent.size();
            const int wait = has_datagram || m_.closed ? wait_ms : 0;
            if (ws::WSAWaitForMultipleEvents(1, &p.ov.hEvent, TRUE, static_cast<DWORD>(wait),
                                             FALSE) != WSA_WAIT_EVENT_0) {
                if (wait > 0)
                    return "overlapped receive of datagram " + std::to_string(p.index) +
                           (m_.closed ? " not aborted by close" : " never completed");
                return {};
            }
            DWORD bytes = 0, flags = 0;
            const bool ok = ws::WSAGetOverlappedResult(s_, &p.ov, &bytes, FALSE, &flags) != FALSE;
            const int err = ok ? 0 : ws::WSAGetLastError();
            std::string bad;
            if (err == WSA_OPERATION_ABORTED) {
                if (!m_.closed)
                    bad = "overlapped receive aborted while the socket is open";
                aborted_seen_ = true;
            } else if (aborted_seen_) {
                bad = "a receive completed after an earlier one was aborted";
            } else {
                bad = check_datagram(p.index, p.buf.data(), p.wb.len, err, static_cast<long>(bytes),
                                     &p.from);
            }
            ws::WSACloseEvent(p.ov.hEvent);
            recvs_.pop_front();
            if (!bad.empty())
                return bad;
        }
        return {};
    }

    bool readable_within(int timeout_ms) {
        fd_set r{};
        r.fd_count = 1;
        r.fd_array[0] = s_;
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        return ws::select(0, &r, nullptr, nullptr, &tv) == 1;
    }

    // FIONREAD: the size of the next datagram no receive claimed — also after SD_RECEIVE, which
    // leaves datagrams queued. While overlapped receives are outstanding their ring receive may
    // hold one datagram more or less than the model sees, so only success is checked then.
    std::string do_fionread() {
        if (std::string err = check_recvs(); !err.empty())
            return err;
        u_long n = 0;
        const int rc = ws::ioctlsocket(s_, static_cast<long>(FIONREAD), &n);
        if (m_.closed)
            return expect_error(rc, WSAENOTSOCK, "FIONREAD after close");
        if (rc != 0)
            return "FIONREAD failed with " + std::to_string(ws::WSAGetLastError());
        if (!recvs_.empty())
            return {};
        const bool queued = m_.next_rx < m_.peer_sent.size();
        const u_long want = queued ? static_cast<u_long>(m_.peer_sent[m_.next_rx]) : 0;
        if (n == 0 && want != 0 && readable_within(completion_wait_ms))
            (void)ws::ioctlsocket(s_, static_cast<long>(FIONREAD), &n); // delivery was deferred
        if (n != want)
            return "FIONREAD " + std::to_string(n) + ", expected " + std::to_string(want) +
                   (m_.recv_shut ? " (receive side shut)" : "");
        return {};
    }

    // ---- the peer ----
    std::string peer_send(Rng& rng, int count) {
        if (m_.closed)
            return {}; // its port may belong to another thread's socket by now
        for (int i = 0; i < count; ++i) {
            const std::size_t size = random_size(rng);
            if (std::string err = peer_.send(payload(id_ + 1000000, m_.peer_sent.size(), size));
                !err.empty())
                return err;
            m_.peer_sent.push_back(size);
        }
        return {};
    }

    // ---- half-close, connect, close ----
    std::string do_send_disconnect(Rng& rng) {
        char byte = 'x';
        WSABUF data{1, &byte};
        const bool with_data = std::uniform_int_distribution<int>(0, 4)(rng) == 0;
        const int rc = ws::WSASendDisconnect(s_, with_data ? &data : nullptr);
        if (m_.closed)
            return expect_error(rc, WSAENOTSOCK, "WSASendDisconnect after close");
        if (with_data) // UDP carries no disconnect data, and the call changes nothing
            return expect_error(rc, WSAENOPROTOOPT, "WSASendDisconnect with data");
        if (rc != 0)
            return "WSASendDisconnect failed with " + std::to_string(ws::WSAGetLastError());
        m_.send_shut = true;
        return {};
    }

    std::string do_recv_disconnect(Rng& rng) {
        std::array<char, 8> space{};
        WSABUF inbound{static_cast<ULONG>(space.size()), space.data()};
        const bool with_buffer = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
        const int rc = ws::WSARecvDisconnect(s_, with_buffer ? &inbound : nullptr);
        if (m_.closed)
            return expect_error(rc, WSAENOTSOCK, "WSARecvDisconnect after close");
        if (rc != 0)
            return "WSARecvDisconnect failed with " + std::to_string(ws::WSAGetLastError());
        if (with_buffer && inbound.len != 0)
            return "WSARecvDisconnect reported inbound disconnect data";
        m_.recv_shut = true;
        return {};
    }

    std::string do_shutdown(Rng& rng) {
        static constexpr int hows[] = {SD_RECEIVE, SD_SEND, SD_BOTH, 3, -1};
        const int how = hows[std::uniform_int_distribution<int>(0, 4)(rng)];
        const int rc = ws::shutdown(s_, how);
        if (m_.closed)
            return expect_error(rc, WSAENOTSOCK, "shutdown after close");
        if (how != SD_RECEIVE && how != SD_SEND && how != SD_BOTH)
            return expect_error(rc, WSAEINVAL, "shutdown with an invalid how");
        if (rc != 0)
            return "shutdown(" + std::to_string(how) + ") failed with " +
                   std::to_string(ws::WSAGetLastError());
        m_.send_shut = m_.send_shut || how != SD_RECEIVE;
        m_.recv_shut = m_.recv_shut || how != SD_SEND;
        return {};
    }

    // Connects to the peer, or dissolves the default peer (INADDR_ANY). Either way the socket
    // keeps its address: the peer, connected to that port, would otherwise drop our datagrams
    // and answer its own with an ICMP error.
    std::string do_connect(Rng& rng) {
        const bool dissolve = dissolve_ && std::uniform_int_distribution<int>(0, 1)(rng) == 0;
        sockaddr_in to = peer_addr_;
        if (dissolve) { // Winsock's way: the unspecified address
            to.sin_port = 0;
            to.sin_addr.s_addr = 0;
        }
        const int rc = ws::connect(s_, reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (m_.closed)
            return expect_error(rc, WSAENOTSOCK, "connect after close");
        if (rc != 0)
            return std::string(dissolve ? "dissolve" : "connect") + " failed with " +
                   std::to_string(ws::WSAGetLastError());
        m_.connected = !dissolve;
        sockaddr_in self{};
        int len = sizeof self;
        if (ws::getsockname(s_, reinterpret_cast<sockaddr*>(&self), &len) != 0 ||
            port_of(self) != port_)
            return std::string(dissolve ? "dissolving" : "connecting") +
                   " the default peer changed the socket's port from " + std::to_string(port_) +
                   " to " + std::to_string(port_of(self));
        return {};
    }

    std::string do_close() {
        if (m_.closed)
            return expect_error(ws::closesocket(s_), WSAENOTSOCK, "close after close");
        if (ws::closesocket(s_) != 0)
            return "close failed: " + std::to_string(ws::WSAGetLastError());
        m_.closed = true;
        // What was pending completes now: a send with its datagram or aborted, a receive with
        // the datagram it claimed or aborted (D19: no linger, abort_pending).
        std::string err = check_sends(completion_wait_ms);
        return err.empty() ? check_recvs(completion_wait_ms) : err;
    }

    // Before the end: pending sends and every receive whose datagram was sent must complete.
    std::string settle() {
        if (m_.closed)
            return {};
        std::string err = check_sends(completion_wait_ms);
        return err.empty() ? check_recvs(completion_wait_ms) : err;
    }

    // FIONBIO as a blocking or non-blocking call needs it: false when the ioctl failed.
    bool set_blocking(bool blocking) {
        if (m_.non_blocking == !blocking && !m_.closed)
            return true; // already so
        u_long on = blocking ? 0 : 1;
        const int rc = ws::ioctlsocket(s_, static_cast<long>(FIONBIO), &on);
        if (m_.closed)
            return rc == SOCKET_ERROR && ws::WSAGetLastError() == WSAENOTSOCK;
        m_.non_blocking = !blocking;
        return rc == 0;
    }

    SOCKET s_;
    std::uint16_t port_;
    DatagramPeer peer_;
    sockaddr_in peer_addr_;
    std::uint64_t id_;
    bool dissolve_;
    Model m_;
    std::deque<std::unique_ptr<PendingRecv>> recvs_;
    std::deque<std::unique_ptr<PendingSend>> sends_;
    bool aborted_seen_ = false;
};

class ProviderDatagramModel : public ProviderTest {
protected:
    // A riosp UDP socket on 127.0.0.1 with a large receive buffer, and a plain peer connected
    // to it (so that an ICMP error for the peer's datagrams would show as ECONNREFUSED).
    static std::unique_ptr<DatagramPair> open_pair(std::uint64_t id, bool dissolve,
                                                   std::string& err);
};

std::unique_ptr<DatagramPair> ProviderDatagramModel::open_pair(std::uint64_t id, bool dissolve,
                                                               std::string& err) {
    SOCKET s = ws::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s == INVALID_SOCKET) {
        err = "socket failed with " + std::to_string(ws::WSAGetLastError());
        return nullptr;
    }
    const int big = 4 << 20; // the kernel caps it; either way no loss at these rates
    (void)ws::setsockopt(s, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&big), sizeof big);
    sockaddr_in a = loopback(0);
    int len = sizeof a;
    std::uint16_t peer_port = 0;
    const int peer = bsd::udp_open_loopback(peer_port);
    if (ws::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ws::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0 || peer < 0 ||
        bsd::udp_connect(peer, port_of(a)) != 0) {
        err = "setting up the pair failed";
        (void)ws::closesocket(s);
        bsd::close_socket(peer);
        return nullptr;
    }
    return std::make_unique<DatagramPair>(s, port_of(a), peer, loopback(peer_port), id, dissolve);
}

TEST_F(ProviderDatagramModel, RandomSequencesFromSeveralThreadsMatchTheModel) {
    const char* const seed_variable = "RIOSP_PROVIDER_DATAGRAM_MODEL_SEED";
    const std::uint64_t seed = model::seed_from_env(seed_variable);
    const bool dissolve = std::getenv("RIOSP_PROVIDER_DATAGRAM_MODEL_NO_DISSOLVE") == nullptr;
    const auto run = [&](int t, Rng& rng, const std::atomic<int>& failures) {
        std::uint64_t id = static_cast<std::uint64_t>(t) << 32;
        int done = 0;
        while (done < steps_per_thread && failures.load() == 0) {
            std::string err;
            auto pair = open_pair(++id, dissolve, err);
            const int n = std::uniform_int_distribution<int>(1, max_steps_per_socket)(rng);
            for (int i = 0; pair && i < n && err.empty(); ++i, ++done)
                err = pair->step(rng);
            if (pair && err.empty())
                err = pair->finish();
            if (!err.empty())
                return model::ThreadResult{done, "socket " + std::to_string(id) + " (step " +
                                                     std::to_string(done) + "): " + err};
        }
        return model::ThreadResult{done, {}};
    };
    const int steps =
        model::run_threads(threads, seed, seed_variable, run, std::chrono::seconds(120));
    RecordProperty("steps", steps);
    RecordProperty("seed", std::to_string(seed));
}

} // namespace
} // namespace riosp::test
