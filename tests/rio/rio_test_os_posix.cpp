// rio_test_os.h on Linux: BSD sockets and an eventfd.
#include "rio_test_os.h"

#include <riosp/event_handle.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace riosp::rio::test {

bool open_tcp_pair(Sock& local, Sock& peer) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bool ok = listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
              ::listen(listener, 1) == 0 &&
              ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    local = ok ? ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    ok = ok && local >= 0 && ::connect(local, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    peer = ok ? ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC) : -1;
    if (listener >= 0)
        ::close(listener);
    const int one = 1;
    ::setsockopt(local, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(peer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return ok && peer >= 0;
}

void close_socket(Sock s) {
    if (s >= 0)
        ::close(s);
}

void set_abort_on_close(Sock s) {
    linger l{1, 0};
    ::setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

bool send_all(Sock s, const void* data, std::size_t size) {
    return ::send(s, data, size, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
}

long recv_some(Sock s, void* data, std::size_t size, bool waitall) {
    return static_cast<long>(::recv(s, data, size, waitall ? MSG_WAITALL : 0));
}

bool readable(Sock s, int timeout_ms) {
    pollfd p{s, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

void shutdown_send(Sock s) {
    ::shutdown(s, SHUT_WR);
}

Sock open_non_socket() {
    int p[2];
    if (::pipe(p) != 0)
        return -1;
    ::close(p[1]);
    return p[0];
}

void close_non_socket(Sock s) {
    ::close(s);
}

std::size_t thread_count() {
    std::size_t n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (dirent* e = ::readdir(d))
            n += e->d_name[0] != '.';
        ::closedir(d);
    }
    return n;
}

TestEvent::TestEvent() : native_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
TestEvent::~TestEvent() {
    ::close(static_cast<int>(native_));
}
HANDLE TestEvent::handle() const {
    return event_handle_from_fd(static_cast<int>(native_));
}
bool TestEvent::signaled(int timeout_ms) const {
    pollfd p{static_cast<int>(native_), POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}
void TestEvent::set() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(static_cast<int>(native_), &one, sizeof one);
}
void TestEvent::reset() {
    std::uint64_t v = 0;
    [[maybe_unused]] auto n = ::read(static_cast<int>(native_), &v, sizeof v);
}

} // namespace riosp::rio::test
