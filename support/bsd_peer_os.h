// The system-socket primitives under the peer, one file per platform (bsd_peer_posix.cpp,
// bsd_peer_win.cpp); bsd_peer.cpp builds the peer's loops on them. Errors are errno values.
#pragma once

#include <cstddef>

namespace riosp::bsd {

// Readable (data, EOF or an error) within timeout_ms: > 0; 0 on timeout; < 0 on failure.
[[nodiscard]] int wait_readable(int fd, int timeout_ms);
// One blocking send, without SIGPIPE: the bytes taken, or -errno.
[[nodiscard]] long send_once(int fd, const void* data, std::size_t len);

} // namespace riosp::bsd
