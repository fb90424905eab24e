// The application's WSABUF arrays as the data path uses them: the bytes past a number already
// moved, buffer by buffer as the kernel takes them, and whether riosp may copy from or into
// their memory itself.
#pragma once

#include "pending_op.h"

#include <rio/net.h>

#include <riosp/spi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace riosp::provider {

// The bytes of `bufs` past their first `skip`, buffer by buffer (empty ones left out), into
// `out` (rio::net::ConstBytes for a send, MutableBytes for a receive); how many parts.
template <class Bytes>
[[nodiscard]] std::size_t parts_after(std::span<const WSABUF> bufs, std::uint64_t skip,
                                      std::array<Bytes, max_wsabufs>& out) noexcept {
    std::size_t n = 0;
    for (const WSABUF& b : bufs) {
        if (n == out.size())
            break;
        if (skip >= b.len) {
            skip -= b.len;
            continue;
        }
        out[n++] = Bytes{b.buf + skip, static_cast<std::size_t>(b.len - skip)};
        skip = 0;
    }
    return n;
}
using SendParts = std::array<rio::net::ConstBytes, max_wsabufs>;
using ReceiveParts = std::array<rio::net::MutableBytes, max_wsabufs>;

// The application's buffers past their first `skip` bytes, `limit` bytes of them at most, as the
// kernel finds their memory (rio::net::can_read / can_write: a system call per buffer). A kernel
// call on a bad buffer answers WSAEFAULT by itself; riosp asks before it copies between the
// application's buffers and its rings itself (in the call, or on a worker: the application may
// have taken a waiting operation's memory away since its call), and before it queues an
// operation, so that a bad buffer fails at the call, where Windows checks it (it probes and locks
// the pages). The calls whose bytes the kernel moves straight to or from the application's
// buffers, the common case, never ask.
[[nodiscard]] bool app_bytes_readable(std::span<const WSABUF> bufs, std::uint64_t skip,
                                      std::uint64_t limit = max_call_bytes) noexcept;
[[nodiscard]] bool app_room_writable(std::span<const WSABUF> bufs, std::uint64_t skip,
                                     std::uint64_t limit = max_call_bytes) noexcept;

} // namespace riosp::provider
