// What the datagram suites share (provider_datagram_test.cpp, provider_datagram_api_test.cpp):
// riosp UDP sockets bound to loopback, a send to a loopback port, and a bounded receive, so that
// a lost datagram fails a test instead of hanging it.
#pragma once

#include "provider_fixture.h"

#include <array>
#include <string>

namespace riosp::test {

inline std::uint16_t port_of(const sockaddr_in& a) {
    return static_cast<std::uint16_t>((a.sin_port >> 8) | ((a.sin_port & 0xff) << 8));
}

class DatagramTest : public ProviderTest {
protected:
    // A riosp UDP socket bound to 127.0.0.1 with a kernel-chosen port (to `port`).
    static SOCKET bound_udp(std::uint16_t& port) {
        SOCKET s = ws::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        EXPECT_NE(s, INVALID_SOCKET) << ws::WSAGetLastError();
        sockaddr_in a = loopback(0);
        int len = sizeof a;
        EXPECT_EQ(ws::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(ws::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
        port = port_of(a);
        return s;
    }
    static int send_to(SOCKET s, std::uint16_t port, const std::string& data) {
        sockaddr_in to = loopback(port);
        return ws::sendto(s, data.data(), static_cast<int>(data.size()), 0,
                          reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    // Whether a datagram (or an error) waits on `s` within timeout_ms.
    static bool readable_within(SOCKET s, int timeout_ms) {
        fd_set r{};
        r.fd_count = 1;
        r.fd_array[0] = s;
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        return ws::select(0, &r, nullptr, nullptr, &tv) == 1;
    }
    // One datagram within timeout_ms (select, then recvfrom): its bytes, or "" on timeout.
    static std::string recv_within(SOCKET s, int timeout_ms, std::uint16_t* from_port = nullptr) {
        if (!readable_within(s, timeout_ms))
            return {};
        std::array<char, 2048> buf{};
        sockaddr_in from{};
        int from_len = sizeof from;
        const int n = ws::recvfrom(s, buf.data(), static_cast<int>(buf.size()), 0,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
        EXPECT_GE(n, 0) << ws::WSAGetLastError();
        if (from_port != nullptr)
            *from_port = port_of(from);
        return n < 0 ? std::string{} : std::string(buf.data(), static_cast<std::size_t>(n));
    }
};

} // namespace riosp::test
