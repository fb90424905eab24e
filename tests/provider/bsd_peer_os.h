// The system-socket primitives of the test peer, one file per platform (bsd_peer_posix.cpp,
// bsd_peer_win.cpp); bsd_peer.cpp builds the peer's loops on them. Errors are errno values.
#pragma once

#include <cstddef>

namespace riosp::test {

// Readable (data, EOF or an error) within timeout_ms: > 0; 0 on timeout; < 0 on failure.
[[nodiscard]] int peer_wait_in(int fd, int timeout_ms);
// One blocking receive: the bytes (0 at EOF), or -errno.
[[nodiscard]] long peer_recv_once(int fd, char* buf, std::size_t len);
// One blocking send, without SIGPIPE: the bytes taken, or -errno.
[[nodiscard]] long peer_send_once(int fd, const char* data, std::size_t len);

} // namespace riosp::test
