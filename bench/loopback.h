// Plain BSD-socket helpers for benchmarks: connected TCP loopback pairs and exact-size I/O.
// Baselines are built from these so that they measure the kernel, not riosp.
#pragma once

#include <cstddef>

namespace riosp::bench {

struct TcpPair {
    int client = -1;
    int server = -1;
};

// A connected TCP pair over 127.0.0.1 with TCP_NODELAY on both ends; aborts on failure.
[[nodiscard]] TcpPair make_tcp_pair();
void close_pair(TcpPair& pair);
// Closes the client end abortively (SO_LINGER {1,0}: an RST), so that a thread blocked sending
// to it from the server end fails instead of waiting for a window that never opens.
void abort_client(TcpPair& pair);

// Blocking loops over send(2)/recv(2); false on EOF or error.
[[nodiscard]] bool send_all(int fd, const void* data, std::size_t len);
[[nodiscard]] bool recv_all(int fd, void* data, std::size_t len);

} // namespace riosp::bench
