// The plain end of provider_datagram_model_test.cpp's pairs: a UDP socket connected to the riosp
// socket's port (so that an ICMP error for its datagrams would show as ECONNREFUSED), which sends
// numbered datagrams, collects what reaches it, and at the end compares that with the datagrams
// the riosp socket's sends accepted. Datagrams are numbered per direction of a pair, and their
// bytes follow from the number, so one that is lost, duplicated, reordered or damaged cannot
// pass for its neighbour.
#pragma once

#include "support/bsd_peer.h"

#include <riosp/ws.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace riosp::test {

inline std::uint16_t port_of(const sockaddr_in& a) {
    return static_cast<std::uint16_t>((a.sin_port >> 8) | ((a.sin_port & 0xff) << 8));
}

// Datagram `index` of `stream` (one direction of one pair), `size` bytes.
inline std::string payload(std::uint64_t stream, std::size_t index, std::size_t size) {
    std::string d(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        d[i] = static_cast<char>((stream * 131 + index * 31 + i * 7 + i / 251) & 0xff);
    return d;
}

class DatagramPeer {
public:
    // `fd` is connected to the riosp socket's port `socket_port`; the peer owns it.
    DatagramPeer(int fd, std::uint16_t port, std::uint16_t socket_port)
        : fd_(fd), port_(port), socket_port_(socket_port) {}
    ~DatagramPeer() { (void)bsd::close_socket(fd_); }
    DatagramPeer(const DatagramPeer&) = delete;
    DatagramPeer& operator=(const DatagramPeer&) = delete;

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }

    // One datagram to the riosp socket: "" or what went wrong. The socket is open, so an ICMP
    // error (reported on the peer's next call) is a failure.
    std::string send(const std::string& d) {
        const long got = bsd::udp_send(fd_, 0, d.data(), d.size());
        if (got == -ECONNREFUSED)
            return "the peer got an ICMP error from an open socket (on its send)";
        if (got != static_cast<long>(d.size()))
            return "peer send returned " + std::to_string(got);
        return {};
    }

    // Collects what reached the peer: timeout_ms for the first datagram, none for the rest.
    std::string read(int timeout_ms) {
        for (;;) {
            std::uint16_t from = 0;
            const long n = bsd::udp_recv(fd_, buf_.data(), buf_.size(), timeout_ms, &from);
            if (n == -ETIMEDOUT)
                return {};
            if (n == -ECONNREFUSED)
                return "the peer got an ICMP error (port unreachable) from our socket";
            if (n < 0)
                return "peer receive failed with errno " + std::to_string(-n);
            if (from != socket_port_)
                return "the peer got a datagram from port " + std::to_string(from);
            got_.emplace_back(buf_.data(), static_cast<std::size_t>(n));
            timeout_ms = 0;
        }
    }

    // After the riosp socket closed: the peer must hold exactly `accepted`, in order.
    std::string verify(const std::vector<const std::string*>& accepted) {
        while (got_.size() < accepted.size()) { // what is missing gets 2 s per datagram
            const std::size_t had = got_.size();
            if (std::string err = read(2000); !err.empty())
                return err;
            if (got_.size() == had)
                break;
        }
        if (std::string err = read(0); !err.empty())
            return err;
        for (std::size_t k = 0; k < accepted.size(); ++k) {
            if (k >= got_.size())
                return "the peer got " + std::to_string(got_.size()) + " of " +
                       std::to_string(accepted.size()) + " accepted datagrams";
            if (got_[k] != *accepted[k])
                return "the peer's datagram " + std::to_string(k) +
                       " is not the accepted one (lost, reordered, duplicated or damaged)";
        }
        if (got_.size() != accepted.size())
            return "the peer got " + std::to_string(got_.size() - accepted.size()) +
                   " datagram(s) no send accepted";
        return {};
    }

private:
    int fd_;
    std::uint16_t port_;
    std::uint16_t socket_port_;
    std::vector<std::string> got_;
    std::array<char, 65536> buf_{};
};

} // namespace riosp::test
