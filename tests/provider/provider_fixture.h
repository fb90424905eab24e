// Provider tests run the real provider through riosp's Linux host (the Winsock 2 API), the way
// applications use it, against a plain BSD-socket peer (support/bsd_peer.h).
#pragma once

#include "support/bsd_peer.h"

#include <riosp/ws.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace riosp::test {

// riosp calls are spelled ws::name: on Windows the real winsock2.h declares the same names.

inline int get_int(SOCKET s, int level, int name) {
    int v = -1;
    int len = sizeof v;
    EXPECT_EQ(ws::getsockopt(s, level, name, reinterpret_cast<char*>(&v), &len), 0) << name;
    return v;
}

inline void set_int(SOCKET s, int level, int name, int v) {
    EXPECT_EQ(ws::setsockopt(s, level, name, reinterpret_cast<const char*>(&v), sizeof v), 0)
        << name;
}

// The RIO function table bound to provider sockets; all null when the provider gives none.
inline RIO_EXTENSION_FUNCTION_TABLE rio_table_of(SOCKET s) {
    GUID id = WSAID_MULTIPLE_RIO;
    RIO_EXTENSION_FUNCTION_TABLE rio{};
    DWORD bytes = 0;
    if (ws::WSAIoctl(s, SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &rio,
                     sizeof rio, &bytes, nullptr, nullptr) != 0 ||
        bytes != sizeof rio)
        return RIO_EXTENSION_FUNCTION_TABLE{};
    return rio;
}

// One completion from `cq` within about timeout_ms (the application's RIO queues are polled).
inline bool dequeue_within(const RIO_EXTENSION_FUNCTION_TABLE& rio, RIO_CQ cq, RIORESULT& r,
                           int timeout_ms) {
    for (int waited = 0; waited <= timeout_ms; waited += 2) {
        if (rio.RIODequeueCompletion(cq, &r, 1) == 1)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

class ProviderTest : public ::testing::Test {
protected:
    void SetUp() override {
        WSADATA data{};
        ASSERT_EQ(ws::WSAStartup(MAKEWORD(2, 2), &data), 0);
    }
    void TearDown() override { ws::WSACleanup(); }

    static sockaddr_in loopback(std::uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = static_cast<USHORT>((port >> 8) | ((port & 0xff) << 8)); // htons
        a.sin_addr.s_addr = 0x0100007f;                                       // 127.0.0.1
        return a;
    }

    // A provider socket connected to a BSD peer; the peer's descriptor goes to `peer`. Threads
    // that connect concurrently pass their own listener, so accept pairs the right ends.
    SOCKET connect_pair(int& peer) { return connect_pair(peer, listener_); }
    static SOCKET connect_pair(int& peer, const bsd::Listener& listener) {
        SOCKET s = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        EXPECT_NE(s, INVALID_SOCKET);
        sockaddr_in a = loopback(listener.port());
        EXPECT_EQ(ws::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0)
            << ws::WSAGetLastError();
        peer = listener.accept_one(5000);
        EXPECT_GE(peer, 0);
        return s;
    }

    // A provider socket listening on 127.0.0.1; its port (host order) goes to `port`.
    static SOCKET provider_listener(std::uint16_t& port) {
        SOCKET ls = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        sockaddr_in a = loopback(0);
        int len = sizeof a;
        EXPECT_EQ(ws::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(ws::listen(ls, 8), 0);
        EXPECT_EQ(ws::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len), 0);
        port = static_cast<std::uint16_t>((a.sin_port >> 8) | ((a.sin_port & 0xff) << 8));
        return ls;
    }

    // Posts an overlapped receive into `b` with a new event in ov.hEvent (the caller closes it):
    // 0 when it completed at once, else the WSA code (WSA_IO_PENDING while it waits).
    static int post_overlapped_recv(SOCKET s, WSABUF& b, WSAOVERLAPPED& ov) {
        ov = WSAOVERLAPPED{};
        ov.hEvent = ws::WSACreateEvent();
        DWORD flags = 0;
        return ws::WSARecv(s, &b, 1, nullptr, &flags, &ov, nullptr) == 0 ? 0
                                                                         : ws::WSAGetLastError();
    }

    static int send_str(SOCKET s, const std::string& data) {
        return ws::send(s, data.data(), static_cast<int>(data.size()), 0);
    }

    bsd::Listener listener_;
};

} // namespace riosp::test
