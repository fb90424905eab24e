// What the suites about the data path's edges share (bad buffers, receive flags, the order of
// receives): a socket whose send ring is full, waits for unread bytes and for an overlapped
// result, each bounded so that a lost byte or completion fails a test instead of hanging it.
#pragma once

#include "provider_fixture.h"

#include <chrono>
#include <string>
#include <thread>

namespace riosp::test {

// Waits until `s` holds at least `n` received bytes nobody has read (FIONREAD: riosp's receive
// ring and the kernel); false after 5 s.
inline bool wait_unread(SOCKET s, u_long n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    u_long have = 0;
    while (ws::ioctlsocket(s, FIONREAD, &have) == 0 && have < n &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return have >= n;
}

// Whether `s` reads as readable within timeout_ms (select).
inline bool readable_within(SOCKET s, int timeout_ms) {
    fd_set r{};
    r.fd_count = 1;
    r.fd_array[0] = s;
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    return ws::select(0, &r, nullptr, nullptr, &tv) == 1;
}

// An overlapped operation's result once its event fired within timeout_ms: 0 or the WSA error,
// its byte count in `bytes`; WSA_WAIT_TIMEOUT when it has not completed.
inline int overlapped_result(SOCKET s, WSAOVERLAPPED& ov, DWORD& bytes, int timeout_ms = 5000) {
    if (ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, static_cast<DWORD>(timeout_ms), FALSE) !=
        WSA_WAIT_EVENT_0)
        return WSA_WAIT_TIMEOUT;
    DWORD flags = 0;
    return ws::WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags) ? 0 : ws::WSAGetLastError();
}

// An overlapped WSASend / WSARecv (lpFlags: `flags`) of the buffers with a new event in
// ov.hEvent (the caller closes it): 0 when it completed at once, else the WSA code.
inline int post_send(SOCKET s, WSABUF* bufs, DWORD count, WSAOVERLAPPED& ov) {
    ov = WSAOVERLAPPED{};
    ov.hEvent = ws::WSACreateEvent();
    return ws::WSASend(s, bufs, count, nullptr, 0, &ov, nullptr) == 0 ? 0 : ws::WSAGetLastError();
}
inline int post_recv(SOCKET s, WSABUF* bufs, DWORD count, WSAOVERLAPPED& ov, DWORD flags = 0) {
    ov = WSAOVERLAPPED{};
    ov.hEvent = ws::WSACreateEvent();
    return ws::WSARecv(s, bufs, count, nullptr, &flags, &ov, nullptr) == 0 ? 0
                                                                           : ws::WSAGetLastError();
}

// Makes `s` non-blocking and sends 'f' bytes until riosp's send ring is full behind a kernel
// that takes no more (the peer does not read): WSAEWOULDBLOCK. The bytes sent.
inline std::size_t fill_send_ring(SOCKET s) {
    u_long on = 1;
    EXPECT_EQ(ws::ioctlsocket(s, FIONBIO, &on), 0);
    const std::string chunk(65536, 'f');
    std::size_t sent = 0;
    for (;;) {
        const int n = ws::send(s, chunk.data(), static_cast<int>(chunk.size()), 0);
        if (n == SOCKET_ERROR) {
            EXPECT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK);
            return sent;
        }
        sent += static_cast<std::size_t>(n);
    }
}

} // namespace riosp::test
