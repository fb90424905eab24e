// rio/net.h over Linux BSD sockets. The only file that converts between the Windows sockaddr
// layout (family 23 for IPv6, 16-bit family field) and the kernel's.
#include <rio/net.h>

#include <rio/posix/detail_posix.h>
#include <rio/posix/sockaddr_posix.h>

#include <riosp/event_handle.h>

#include <rio/wsa_error.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

namespace riosp::rio::net {
namespace {

constexpr int win_af_inet = detail::kWinAfInet;
constexpr int win_af_inet6 = detail::kWinAfInet6;

int last_wsa() noexcept {
    return wsa_from_errno(errno);
}

// The conversions are sockaddr_posix.h's (the datagram requests' address slices use them too);
// here they meet sockaddr_storage, which every call below passes to the kernel.
int to_kernel(const void* win_addr, int len, sockaddr_storage& out, socklen_t& out_len) noexcept {
    posix::KernelAddress k;
    if (int err = posix::to_kernel(win_addr, len, k, out_len))
        return err;
    std::memset(&out, 0, sizeof out);
    std::memcpy(&out, &k, out_len);
    return 0;
}

int to_windows(const sockaddr_storage& in, void* win_addr, int* len) noexcept {
    return posix::to_windows(reinterpret_cast<const sockaddr&>(in), win_addr, len);
}

int wait_for(NativeSocket s, short events, int timeout_ms) noexcept {
    pollfd p{s, events, 0};
    for (;;) {
        int n = ::poll(&p, 1, timeout_ms);
        if (n > 0)
            return 0;
        if (n == 0)
            return WSAETIMEDOUT;
        if (errno != EINTR)
            return last_wsa();
    }
}

struct KernelOption {
    int level;
    int name;
};
KernelOption kernel_option(Option o) noexcept {
    switch (o) {
    case Option::reuse_addr:
        return {SOL_SOCKET, SO_REUSEADDR};
    case Option::keep_alive:
        return {SOL_SOCKET, SO_KEEPALIVE};
    case Option::no_delay:
        return {IPPROTO_TCP, TCP_NODELAY};
    case Option::send_buffer:
        return {SOL_SOCKET, SO_SNDBUF};
    case Option::recv_buffer:
        return {SOL_SOCKET, SO_RCVBUF};
    case Option::v6_only:
        return {IPPROTO_IPV6, IPV6_V6ONLY};
    case Option::broadcast:
        return {SOL_SOCKET, SO_BROADCAST};
    }
    return {SOL_SOCKET, SO_TYPE};
}

} // namespace

namespace {
int open_socket(int win_family, int type, int protocol, NativeSocket& out) noexcept {
    int family = win_family == win_af_inet ? AF_INET : win_family == win_af_inet6 ? AF_INET6 : -1;
    if (family < 0)
        return WSAEAFNOSUPPORT;
    out = ::socket(family, type | SOCK_CLOEXEC, protocol);
    return out < 0 ? last_wsa() : 0;
}
} // namespace

int open_tcp(int win_family, NativeSocket& out) noexcept {
    return open_socket(win_family, SOCK_STREAM, IPPROTO_TCP, out);
}

int open_udp(int win_family, NativeSocket& out) noexcept {
    return open_socket(win_family, SOCK_DGRAM, IPPROTO_UDP, out);
}

int set_non_blocking(NativeSocket s, bool on) noexcept {
    const int flags = ::fcntl(s, F_GETFL);
    if (flags < 0)
        return last_wsa();
    const int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return want == flags || ::fcntl(s, F_SETFL, want) == 0 ? 0 : last_wsa();
}

int bind(NativeSocket s, const void* win_addr, int len) noexcept {
    sockaddr_storage addr;
    socklen_t addr_len = 0;
    if (int err = to_kernel(win_addr, len, addr, addr_len))
        return err;
    return ::bind(s, reinterpret_cast<sockaddr*>(&addr), addr_len) == 0 ? 0 : last_wsa();
}

int listen(NativeSocket s, int backlog) noexcept {
    return ::listen(s, backlog) == 0 ? 0 : last_wsa();
}

int accept(NativeSocket s, NativeSocket& out, void* win_addr, int* len) noexcept {
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    out = ::accept4(s, reinterpret_cast<sockaddr*>(&addr), &addr_len, SOCK_CLOEXEC);
    if (out < 0)
        return last_wsa();
    if (win_addr != nullptr && len != nullptr) {
        if (int err = to_windows(addr, win_addr, len)) {
            ::close(out);
            out = invalid_socket;
            return err;
        }
    }
    return 0;
}

int connect(NativeSocket s, const void* win_addr, int len) noexcept {
    sockaddr_storage addr;
    socklen_t addr_len = 0;
    if (int err = to_kernel(win_addr, len, addr, addr_len))
        return err;
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), addr_len) == 0)
        return 0;
    // A non-blocking connect in progress is WSAEWOULDBLOCK on Windows, not WSAEINPROGRESS.
    return errno == EINPROGRESS ? wsa_from_errno(EAGAIN) : last_wsa();
}

int dissolve_peer(NativeSocket s, int) noexcept {
    sockaddr_storage before{};
    socklen_t before_len = sizeof before;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&before), &before_len) != 0)
        return last_wsa();
    sockaddr unspecified{};
    unspecified.sa_family = AF_UNSPEC; // Linux's way; a connect to 0.0.0.0 would mean this host
    if (::connect(s, &unspecified, sizeof unspecified) != 0)
        return last_wsa();
    // Linux also gives back a port the kernel chose (a bind to port 0, or the connect's own), and
    // an address it was not told to keep; Winsock keeps the socket's local address. So the port
    // is bound again, on whatever address the socket keeps (the one bound, or the wildcard).
    sockaddr_storage after{};
    socklen_t after_len = sizeof after;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&after), &after_len) != 0)
        return last_wsa();
    auto port_of = [](sockaddr_storage& a) -> in_port_t& {
        return a.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(a).sin6_port
                                       : reinterpret_cast<sockaddr_in&>(a).sin_port;
    };
    if (port_of(before) == 0 || port_of(after) != 0)
        return 0; // it had none, or kept it
    port_of(after) = port_of(before);
    return ::bind(s, reinterpret_cast<sockaddr*>(&after), after_len) == 0 ? 0 : last_wsa();
}

int connect_result(NativeSocket s) noexcept {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return last_wsa();
    return err == 0 ? 0 : wsa_from_errno(err);
}

int wait_readable(NativeSocket s, int timeout_ms) noexcept {
    return wait_for(s, POLLIN, timeout_ms);
}
int wait_writable(NativeSocket s, int timeout_ms) noexcept {
    return wait_for(s, POLLOUT, timeout_ms);
}

int shutdown_send(NativeSocket s) noexcept {
    return ::shutdown(s, SHUT_WR) == 0 ? 0 : last_wsa();
}

int send_now(NativeSocket s, std::span<const ConstBytes> parts, std::size_t& sent) noexcept {
    if (parts.size() == 1) { // send(2): no msghdr to build and for the kernel to copy in
        for (;;) {
            const ssize_t r = ::send(s, parts[0].data, parts[0].size, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r >= 0) {
                sent = static_cast<std::size_t>(r);
                return 0;
            }
            if (errno != EINTR)
                return last_wsa();
        }
    }
    iovec iov[16];
    std::size_t n = 0;
    for (const ConstBytes& p : parts) {
        if (n == std::size(iov))
            break; // the rest goes next time
        iov[n++] = iovec{const_cast<void*>(p.data), p.size};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    for (;;) {
        const ssize_t r = ::sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0) {
            sent = static_cast<std::size_t>(r);
            return 0;
        }
        if (errno != EINTR)
            return last_wsa();
    }
}

namespace {
int kernel_flags(Receive how) noexcept {
    return how == Receive::peek ? MSG_PEEK : 0;
}

// One recv(2)/recvmsg(2) into the parts; the source into `from` when it is not nullptr (then
// always recvmsg: the kernel reports the address and whether the datagram was cut there).
int recv_with(NativeSocket s, std::span<const MutableBytes> parts, int flags, std::size_t& got,
              sockaddr_storage* from = nullptr, bool* truncated = nullptr) noexcept {
    if (parts.size() == 1 && from == nullptr && truncated == nullptr) {
        // recv(2): no msghdr to build and for the kernel to copy in
        const ssize_t r = ::recv(s, parts[0].data, parts[0].size, flags);
        if (r < 0)
            return last_wsa();
        got = static_cast<std::size_t>(r);
        return 0;
    }
    iovec iov[16];
    std::size_t n = 0;
    for (const MutableBytes& p : parts) {
        if (n == std::size(iov))
            break; // the rest goes next time
        iov[n++] = iovec{p.data, p.size};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    if (from != nullptr) {
        msg.msg_name = from;
        msg.msg_namelen = sizeof *from;
    }
    const ssize_t r = ::recvmsg(s, &msg, flags);
    if (r < 0)
        return last_wsa();
    got = static_cast<std::size_t>(r);
    if (truncated != nullptr)
        *truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    return 0;
}

// One datagram, its source converted to the Windows layout. One buffer (the common case) is
// one recvfrom(2) with MSG_TRUNC, which returns the datagram's real length, so a cut one is seen
// without a msghdr; several go through recvmsg and its msg_flags.
int recv_datagram(NativeSocket s, std::span<const MutableBytes> parts, int flags, void* win_addr,
                  int* len, Datagram& got) noexcept {
    sockaddr_storage from{};
    got = Datagram{};
    int err = 0;
    do {
        if (parts.size() <= 1) {
            void* data = parts.empty() ? nullptr : parts[0].data;
            const std::size_t room = parts.empty() ? 0 : parts[0].size;
            socklen_t from_len = sizeof from;
            const ssize_t r =
                ::recvfrom(s, data, room, flags | MSG_TRUNC,
                           win_addr != nullptr ? reinterpret_cast<sockaddr*>(&from) : nullptr,
                           win_addr != nullptr ? &from_len : nullptr);
            err = r < 0 ? last_wsa() : 0;
            if (r >= 0) {
                got.bytes = std::min(static_cast<std::size_t>(r), room);
                got.truncated = static_cast<std::size_t>(r) > room;
            }
        } else {
            err = recv_with(s, parts, flags, got.bytes, win_addr != nullptr ? &from : nullptr,
                            &got.truncated);
        }
    } while (err == WSAEINTR && (flags & MSG_DONTWAIT) != 0);
    if (err != 0 || win_addr == nullptr)
        return err;
    // A wait ended by interrupt_waits has no source: leave the caller's buffer alone.
    return from.ss_family == AF_UNSPEC ? 0 : to_windows(from, win_addr, len);
}
} // namespace

int recv_now(NativeSocket s, std::span<const MutableBytes> parts, std::size_t& got,
             Receive how) noexcept {
    int err = 0;
    do {
        err = recv_with(s, parts, MSG_DONTWAIT | kernel_flags(how), got);
    } while (err == wsa_from_errno(EINTR));
    return err;
}

int recv_from_now(NativeSocket s, std::span<const MutableBytes> parts, void* win_addr, int* len,
                  Datagram& got, Receive how) noexcept {
    return recv_datagram(s, parts, MSG_DONTWAIT | kernel_flags(how), win_addr, len, got);
}

int send_to_now(NativeSocket s, std::span<const ConstBytes> parts, const void* win_addr, int len,
                std::size_t& sent) noexcept {
    posix::KernelAddress to; // written only when there is a destination
    socklen_t to_len = 0;
    if (win_addr != nullptr)
        if (int err = posix::to_kernel(win_addr, len, to, to_len))
            return err;
    const sockaddr* name = win_addr != nullptr ? &to.sa : nullptr;
    iovec iov[16];
    if (parts.size() > std::size(iov))
        return WSAENOBUFS; // a datagram goes whole or not at all
    std::size_t n = 0;
    for (const ConstBytes& p : parts)
        iov[n++] = iovec{const_cast<void*>(p.data), p.size};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    msg.msg_name = const_cast<sockaddr*>(name);
    msg.msg_namelen = to_len;
    for (;;) {
        // One buffer (the common case): sendto(2), no msghdr for the kernel to copy in.
        const ssize_t r = n == 1 ? ::sendto(s, iov[0].iov_base, iov[0].iov_len,
                                            MSG_DONTWAIT | MSG_NOSIGNAL, name, to_len)
                                 : ::sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0) {
            sent = static_cast<std::size_t>(r);
            return 0;
        }
        if (errno != EINTR)
            return last_wsa();
    }
}

void interrupt_waits(NativeSocket s) noexcept {
    (void)::shutdown(s, SHUT_RD);
}

bool has_unsent_data(NativeSocket s) noexcept {
    int unsent = 0;
    return ::ioctl(s, SIOCOUTQNSD, &unsent) == 0 && unsent > 0; // EINVAL when not connected
}

void close(NativeSocket s, bool abortive) noexcept {
    if (s < 0)
        return;
    if (abortive) {
        linger l{1, 0};
        (void)::setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(s);
}

int local_name(NativeSocket s, void* win_addr, int* len) noexcept {
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0)
        return last_wsa();
    return to_windows(addr, win_addr, len);
}

int peer_name(NativeSocket s, void* win_addr, int* len) noexcept {
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    if (::getpeername(s, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0)
        return last_wsa();
    return to_windows(addr, win_addr, len);
}

int set_option(NativeSocket s, Option o, int value) noexcept {
    auto [level, name] = kernel_option(o);
    return ::setsockopt(s, level, name, &value, sizeof value) == 0 ? 0 : last_wsa();
}

int get_option(NativeSocket s, Option o, int& value) noexcept {
    auto [level, name] = kernel_option(o);
    socklen_t len = sizeof value;
    if (::getsockopt(s, level, name, &value, &len) != 0)
        return last_wsa();
    // Linux reports twice the buffer size it was asked for (bookkeeping overhead); Windows
    // reports what was set. Report the usable half so set/get round-trips.
    if (o == Option::send_buffer || o == Option::recv_buffer)
        value /= 2;
    return 0;
}

int readable_bytes(NativeSocket s, int& bytes) noexcept {
    return ::ioctl(s, FIONREAD, &bytes) == 0 ? 0 : last_wsa();
}

} // namespace riosp::rio::net

namespace riosp::rio::detail {
int recv_blocking(net::NativeSocket s, std::span<const net::MutableBytes> parts, std::size_t& got,
                  net::Receive how) noexcept {
    return net::recv_with(s, parts, net::kernel_flags(how), got);
}
int receive_from_waiting(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                         void* win_addr, int* len, net::Datagram& got, const caller::Wait& wait,
                         net::Receive how) noexcept {
    int err = 0;
    do {
        err = net::recv_datagram(s, parts, net::kernel_flags(how), win_addr, len, got);
    } while (err == WSAEINTR && !wait.interrupted());
    return err;
}
} // namespace riosp::rio::detail

#include <sys/epoll.h>
#include <sys/eventfd.h>

namespace riosp::rio::net {

Poller::~Poller() {
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
    if (epoll_ >= 0)
        ::close(epoll_);
}

int Poller::open() noexcept {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0)
        return last_wsa();
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
        return last_wsa();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the wake-up descriptor: no tag
    return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0 ? 0 : last_wsa();
}

int Poller::arm(NativeSocket s, bool readable, bool writable, void* tag) noexcept {
    epoll_event ev{};
    ev.events = EPOLLONESHOT | (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    ev.data.ptr = tag;
    if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, s, &ev) == 0)
        return 0;
    if (errno != ENOENT)
        return last_wsa();
    return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, s, &ev) == 0 ? 0 : last_wsa();
}

void Poller::disarm(NativeSocket s) noexcept {
    (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, s, nullptr);
}

int Poller::wait(Event* out, int capacity, int timeout_ms) noexcept {
    constexpr int batch = 64;
    epoll_event evs[batch];
    int n = ::epoll_wait(epoll_, evs, capacity < batch ? capacity : batch, timeout_ms);
    if (n < 0)
        return 0;
    int count = 0;
    for (int i = 0; i < n; ++i) {
        if (evs[i].data.ptr == nullptr) {
            std::uint64_t drained = 0;
            (void)!::read(wake_fd_, &drained, sizeof drained);
            continue;
        }
        out[count++] = Event{evs[i].data.ptr, (evs[i].events & (EPOLLIN | EPOLLHUP)) != 0,
                             (evs[i].events & EPOLLOUT) != 0, (evs[i].events & EPOLLERR) != 0};
    }
    return count;
}

void Poller::wake() noexcept {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
}

} // namespace riosp::rio::net

namespace riosp::rio::net {

WakeEvent::~WakeEvent() {
    if (fd_ >= 0)
        ::close(fd_);
}

int WakeEvent::open() noexcept {
    fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd_ < 0 ? last_wsa() : 0;
}

void WakeEvent::wait_and_reset(int timeout_ms) noexcept {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) > 0) {
        std::uint64_t drained = 0;
        (void)!::read(fd_, &drained, sizeof drained);
    }
}

void* WakeEvent::notification_handle() const noexcept {
    return event_handle_from_fd(fd_);
}

void WakeEvent::signal() noexcept {
    std::uint64_t one = 1;
    (void)!::write(fd_, &one, sizeof one);
}

} // namespace riosp::rio::net
