// An application send or receive the socket could not finish at once: either overlapped (it
// completes later through the event or the completion routine) or blocking (its thread waits
// on the socket's condition variable for `done`).
#pragma once

#include <riosp/spi.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

namespace riosp::provider {

// Windows copies the WSABUF array at call time; so do we, inline. More buffers than this in
// one call are refused with WSAENOBUFS (documented in the README).
inline constexpr DWORD max_wsabufs = 16;
// The most one stream call can move: its count is reported in a DWORD. Buffers whose lengths add
// up to more are refused (WSAEFAULT) rather than reported short of what they moved.
inline constexpr std::uint64_t max_call_bytes = 0xFFFFFFFFu;

struct PendingOp {
    bool overlapped = false;
    // The application's handle (from WPUCreateSocketHandle): an overlapped completion is
    // reported to ws2_32 under it (WPUCompleteOverlappedRequest).
    SOCKET handle = INVALID_SOCKET;
    LPWSAOVERLAPPED ov = nullptr;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine = nullptr;
    WSATHREADID thread{};
    std::array<WSABUF, max_wsabufs> bufs{};
    DWORD buf_count = 0;
    DWORD flags = 0;       // a receive's MSG_PEEK / MSG_WAITALL (Windows values)
    DWORD transferred = 0; // bytes moved so far
    // Send only: the send ring took over this op's pending-send count in the state machine,
    // so finishing the op must not report send_done (the ring's drain will).
    bool counted_by_ring = false;
    // Datagram sockets. A receive: where its source goes (WSPRecvFrom's lpFrom / lpFromlen,
    // which stay valid until it completes). A send: its destination, copied at call time
    // (to_len 0: the default peer).
    sockaddr* from = nullptr;
    LPINT from_len = nullptr;
    std::array<char, 28> to{};
    int to_len = 0;
    // Blocking ops: where the waiting thread (on the socket's condition variable) reads its
    // result; it lives on that thread's stack until `done`.
    struct Waiter {
        // Set under the socket's lock; atomic because a busy-polling caller also reads it
        // without the lock while it spins.
        std::atomic<bool> done{false};
        int error = 0;
        DWORD bytes = 0;
    };
    Waiter* waiter = nullptr;
};

// Copies `count` buffers into the op; false if there are too many.
[[nodiscard]] inline bool capture_buffers(PendingOp& op, const WSABUF* bufs, DWORD count) {
    if (count > max_wsabufs)
        return false;
    for (DWORD i = 0; i < count; ++i)
        op.bufs[i] = bufs[i];
    op.buf_count = count;
    return true;
}

// The buffers' lengths, summed in 64 bits: at most 16 lengths of 32 bits, so the sum never wraps
// (in 32 bits {0xFFFFFFF0, 0x20} would add up to 16).
[[nodiscard]] inline std::uint64_t total_length(std::span<const WSABUF> bufs) noexcept {
    std::uint64_t total = 0;
    for (const WSABUF& b : bufs)
        total += b.len;
    return total;
}
[[nodiscard]] inline std::uint64_t total_length(const PendingOp& op) noexcept {
    return total_length(std::span(op.bufs.data(), op.buf_count));
}
[[nodiscard]] inline std::span<const WSABUF> buffers_of(const PendingOp& op) noexcept {
    return std::span(op.bufs.data(), op.buf_count);
}

// A receive with MSG_PEEK: it copies the next bytes (the next datagram) and leaves them.
[[nodiscard]] inline bool peeks(const PendingOp& op) noexcept {
    return (op.flags & MSG_PEEK) != 0;
}
// A stream receive with MSG_WAITALL: it ends only with its buffers full, at the stream's end,
// or with an error.
[[nodiscard]] inline bool waits_all(const PendingOp& op) noexcept {
    return (op.flags & MSG_WAITALL) != 0;
}

} // namespace riosp::provider
