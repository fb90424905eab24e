// rio_test_os.h on Linux: BSD sockets and an eventfd.
#include "rio_test_os.h"

#include "support/bsd_peer.h"

#include <rio/posix/sockaddr_posix.h>

#include <riosp/event_handle.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <fstream>
#include <string>

namespace riosp::rio::test {

bool open_tcp_pair(Sock& local, Sock& peer) {
    // The tests' plain-socket pair (support/bsd_peer.h); on Windows the rio side needs a
    // socket of its own kind (rio_test_os_win.cpp).
    try {
        const bsd::Pair pair = bsd::make_pair();
        local = pair.client;
        peer = pair.server;
        return true;
    } catch (const std::exception&) {
        local = peer = -1;
        return false;
    }
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

Sock open_udp(bool v6) {
    const int s = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    posix::KernelAddress a{};
    if (v6) {
        a.v6.sin6_family = AF_INET6;
        a.v6.sin6_addr = in6addr_loopback;
    } else {
        a.v4.sin_family = AF_INET;
        a.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    const socklen_t len = v6 ? sizeof a.v6 : sizeof a.v4;
    if (s >= 0 && ::bind(s, &a.sa, len) == 0)
        return s;
    close_socket(s);
    return net::invalid_socket;
}

WinAddress local_address(Sock s) {
    posix::KernelAddress a{};
    socklen_t len = sizeof a;
    WinAddress out{};
    int out_len = static_cast<int>(out.size());
    if (::getsockname(s, &a.sa, &len) != 0 || posix::to_windows(a.sa, out.data(), &out_len) != 0)
        out.fill(0);
    return out;
}

bool connect_to(Sock s, const WinAddress& to) {
    posix::KernelAddress a{};
    socklen_t len = 0;
    return posix::to_kernel(to.data(), static_cast<int>(to.size()), a, len) == 0 &&
           ::connect(s, &a.sa, len) == 0;
}

bool send_to(Sock s, const WinAddress* to, const void* data, std::size_t size) {
    posix::KernelAddress a{};
    socklen_t len = 0;
    if (to != nullptr && posix::to_kernel(to->data(), static_cast<int>(to->size()), a, len) != 0)
        return false;
    return ::sendto(s, data, size, 0, to != nullptr ? &a.sa : nullptr, len) ==
           static_cast<ssize_t>(size);
}

long recv_from(Sock s, void* data, std::size_t size, WinAddress* from, int timeout_ms) {
    if (!readable(s, timeout_ms))
        return -1;
    posix::KernelAddress a{};
    socklen_t len = sizeof a;
    const ssize_t n = ::recvfrom(s, data, size, MSG_DONTWAIT, &a.sa, &len);
    if (n >= 0 && from != nullptr) {
        int out_len = static_cast<int>(from->size());
        from->fill(0);
        (void)posix::to_windows(a.sa, from->data(), &out_len);
    }
    return static_cast<long>(n);
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

bool allow_descriptors(std::size_t count) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return false;
    if (lim.rlim_cur >= count)
        return true;
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, count);
    return ::setrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur >= count;
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

std::size_t registrations_per_used_region(Backend) {
    return 1;
}

bool other_threads_asleep() {
    const std::string self = std::to_string(::gettid());
    bool asleep = true;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.' || self == e->d_name)
                continue;
            // The state is the field after the parenthesised command name.
            std::ifstream stat(std::string("/proc/self/task/") + e->d_name + "/stat");
            std::string line;
            std::getline(stat, line);
            const std::size_t paren = line.rfind(')');
            if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'R')
                asleep = false;
        }
        ::closedir(d);
    }
    return asleep;
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
