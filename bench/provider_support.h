// What the provider benchmarks share: a Winsock session per benchmark function (WSAStartup /
// WSACleanup, optionally in busy-poll mode), loopback addresses, connecting through the host
// API, and the provider's live-socket count (to wait until a closed socket's slot is recycled).
// Only <riosp/ws.h> and the host's provider_path() here: plain-socket work goes through
// support/bsd_peer.h.
#pragma once

#include "host/loader.h"

#include <riosp/ws.h>
#include <riosp/wsa_codes.h>

#include <dlfcn.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

namespace riosp::bench {

using namespace riosp::ws;

class WsSession {
public:
    // busy_poll sets RIOSP_BUSY_POLL=1 for this session (the provider reads it at WSAStartup).
    explicit WsSession(bool busy_poll = false) : busy_(busy_poll) {
        if (busy_)
            setenv("RIOSP_BUSY_POLL", "1", 1);
        WSADATA data{};
        ok_ = WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }
    ~WsSession() {
        if (ok_)
            WSACleanup();
        if (busy_)
            unsetenv("RIOSP_BUSY_POLL");
    }
    WsSession(const WsSession&) = delete;
    WsSession& operator=(const WsSession&) = delete;
    [[nodiscard]] bool ok() const { return ok_; }

private:
    bool busy_;
    bool ok_ = false;
};

inline sockaddr_in loopback_addr(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = static_cast<USHORT>((port >> 8) | ((port & 0xff) << 8)); // htons
    a.sin_addr.s_addr = 0x0100007f;                                       // 127.0.0.1
    return a;
}

// A provider socket connected to 127.0.0.1:port with TCP_NODELAY, or INVALID_SOCKET with the
// WSA error in `err`.
inline SOCKET ws_connect(std::uint16_t port, int& err) {
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET) {
        err = WSAGetLastError();
        return s;
    }
    sockaddr_in a = loopback_addr(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        err = WSAGetLastError();
        closesocket(s);
        return INVALID_SOCKET;
    }
    BOOL one = TRUE;
    (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
    err = 0;
    return s;
}

inline bool ws_send_all(SOCKET s, const char* p, int len) {
    while (len > 0) {
        int n = send(s, p, len, 0);
        if (n <= 0)
            return false;
        p += n;
        len -= n;
    }
    return true;
}

inline bool ws_recv_all(SOCKET s, char* p, int len) {
    while (len > 0) {
        int n = recv(s, p, len, 0);
        if (n <= 0)
            return false;
        p += n;
        len -= n;
    }
    return true;
}

// recv until the 0-byte receive: true on EOF.
inline bool ws_drain_to_eof(SOCKET s) {
    char buf[256];
    for (;;) {
        int n = recv(s, buf, sizeof buf, 0);
        if (n == 0)
            return true;
        if (n < 0)
            return false;
    }
}

// The provider's live-socket count (exported for tests and tools), or nullptr.
using InUseFn = int (*)();
inline InUseFn sockets_in_use_fn() {
    // The module the host loaded (from the build tree, or an installation's libdir).
    const std::string path = riosp::host::provider_path();
    void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    return module == nullptr ? nullptr
                             : reinterpret_cast<InUseFn>(dlsym(module, "riospSocketsInUse"));
}

// Waits (up to ~1 s) until at most `target` provider sockets are live.
inline bool wait_in_use(InUseFn in_use, int target) {
    if (in_use == nullptr)
        return true;
    for (int i = 0; i < 20000; ++i) {
        if (in_use() <= target)
            return true;
        if (i > 100)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return false;
}

// Why a benchmark stopped: the code's name, and what the one error a long churn run causes by
// itself means.
inline std::string wsa_error_text(int err) {
    std::string text = wsa::name(err).str();
    if (err == WSAEADDRNOTAVAIL)
        text += ": ephemeral ports exhausted (TIME_WAIT); churn stopped";
    return text;
}

} // namespace riosp::bench
