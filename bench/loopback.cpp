#include "loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace riosp::bench {
namespace {
[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::abort();
}
void nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die("setsockopt(TCP_NODELAY)");
}
} // namespace

TcpPair make_tcp_pair() {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0)
        die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        die("bind/listen");
    TcpPair pair;
    pair.client = socket(AF_INET, SOCK_STREAM, 0);
    if (pair.client < 0 || connect(pair.client, reinterpret_cast<sockaddr*>(&addr), len) != 0)
        die("connect");
    pair.server = accept(listener, nullptr, nullptr);
    if (pair.server < 0)
        die("accept");
    close(listener);
    nodelay(pair.client);
    nodelay(pair.server);
    return pair;
}

void close_pair(TcpPair& pair) {
    if (pair.client >= 0)
        close(pair.client);
    if (pair.server >= 0)
        close(pair.server);
    pair = {};
}

void abort_client(TcpPair& pair) {
    linger l{1, 0};
    (void)setsockopt(pair.client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(pair.client);
    pair.client = -1;
}

bool send_all(int fd, const void* data, std::size_t len) {
    auto p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

bool recv_all(int fd, void* data, std::size_t len) {
    auto p = static_cast<char*>(data);
    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n <= 0)
            return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace riosp::bench
