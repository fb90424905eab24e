// rio/net.h over Winsock. The sockets come from the provider underneath riosp: on Windows the
// Microsoft TCP provider (chosen by its WSAPROTOCOL_INFOW, so that riosp never recurses into
// itself when its own entries come first in the catalog), under Wine Wine's Winsock. Windows
// sockaddr layout and family values are the native ones here: addresses pass through as they
// are, only their lengths are checked.
#include <rio/net.h>
#include <rio/rio.h>
#include <rio/win/winsock_base_win.h>

#include <winsock2.h>
#include <ws2tcpip.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
#include <mutex>
#include <vector>

namespace riosp::rio::net {
namespace {

SOCKET native(NativeSocket s) noexcept {
    return static_cast<SOCKET>(s);
}

int last_wsa() noexcept {
    const int err = WSAGetLastError();
    return err != 0 ? err : WSASYSCALLFAILURE;
}

// The checks Windows' own bind/connect make, done up front so that a short or foreign address
// gets the same WSA code as on Linux (net_posix.cpp).
int check_address(const void* win_addr, int len) noexcept {
    if (win_addr == nullptr || len < 2)
        return WSAEFAULT;
    ADDRESS_FAMILY family = 0;
    std::memcpy(&family, win_addr, sizeof family);
    if (family == AF_INET)
        return len < static_cast<int>(sizeof(sockaddr_in)) ? WSAEFAULT : 0;
    if (family == AF_INET6)
        return len < static_cast<int>(sizeof(sockaddr_in6)) ? WSAEFAULT : 0;
    return WSAEAFNOSUPPORT;
}

// The base TCP provider to create sockets from: the first IFS base entry for the family (the
// Microsoft provider; riosp's entries are non-IFS, layered entries are chains). Found once per
// family; when there is none (or the catalog cannot be read), Winsock picks.
struct BaseProvider {
    bool found = false;
    WSAPROTOCOL_INFOW info{};
};

BaseProvider find_base_provider(int family, int type, int protocol) noexcept {
    BaseProvider result;
    DWORD bytes = 0;
    int protocols[] = {protocol, 0};
    if (WSAEnumProtocolsW(protocols, nullptr, &bytes) != SOCKET_ERROR ||
        WSAGetLastError() != WSAENOBUFS)
        return result;
    std::vector<WSAPROTOCOL_INFOW> entries;
    try {
        entries.resize(bytes / sizeof(WSAPROTOCOL_INFOW) + 1);
    } catch (...) {
        return result;
    }
    bytes = static_cast<DWORD>(entries.size() * sizeof(WSAPROTOCOL_INFOW));
    const int n = WSAEnumProtocolsW(protocols, entries.data(), &bytes);
    for (int i = 0; i < n; ++i) {
        const auto& e = entries[static_cast<std::size_t>(i)];
        if (e.iAddressFamily == family && e.iSocketType == type &&
            e.ProtocolChain.ChainLen == BASE_PROTOCOL && (e.dwServiceFlags1 & XP1_IFS_HANDLES)) {
            result.found = true;
            result.info = e;
            break;
        }
    }
    return result;
}

int set_nonblocking(SOCKET s) noexcept {
    u_long on = 1;
    return ioctlsocket(s, FIONBIO, &on) == 0 ? 0 : last_wsa();
}

int wait_for(NativeSocket s, SHORT events, int timeout_ms) noexcept {
    WSAPOLLFD p{};
    p.fd = native(s);
    p.events = events;
    const int n = WSAPoll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (n > 0)
        return 0; // ready, or failed (POLLERR/POLLHUP): the next call reports which
    return n == 0 ? WSAETIMEDOUT : last_wsa();
}

struct NativeOption {
    int level;
    int name;
};
NativeOption native_option(Option o) noexcept {
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

// riosp's own Winsock use, independent of the application's WSAStartup/WSACleanup pairs:
// one reference taken at first use and held for the life of the process.
int ensure_startup() noexcept {
    static const int result = [] {
        WSADATA data;
        return WSAStartup(MAKEWORD(2, 2), &data);
    }();
    return result;
}

const WSAPROTOCOL_INFOW* base_provider(int family, int type) noexcept {
    if (ensure_startup() != 0)
        return nullptr;
    // [datagram][v6], looked up once, at the first socket of any kind.
    static const BaseProvider found[2][2] = {
        {find_base_provider(AF_INET, SOCK_STREAM, IPPROTO_TCP),
         find_base_provider(AF_INET6, SOCK_STREAM, IPPROTO_TCP)},
        {find_base_provider(AF_INET, SOCK_DGRAM, IPPROTO_UDP),
         find_base_provider(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)}};
    const BaseProvider& p = found[type == SOCK_DGRAM ? 1 : 0][family == AF_INET6 ? 1 : 0];
    return p.found ? &p.info : nullptr;
}

namespace {
int open_socket(int win_family, int type, int protocol, const WSAPROTOCOL_INFOW* base,
                NativeSocket& out) noexcept {
    out = invalid_socket;
    if (win_family != AF_INET && win_family != AF_INET6)
        return WSAEAFNOSUPPORT;
    if (int err = ensure_startup())
        return err;
    // WSA_FLAG_OVERLAPPED: the overlapped rio backend issues WSASend/WSARecv on it;
    // WSA_FLAG_REGISTERED_IO: the native backend creates a system RIO request queue on it.
    const DWORD rio_flag =
        riosp::rio::active_backend() == Backend::native ? WSA_FLAG_REGISTERED_IO : 0;
    SOCKET s = WSASocketW(win_family, type, protocol, const_cast<WSAPROTOCOL_INFOW*>(base), 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT | rio_flag);
    if (s == INVALID_SOCKET)
        return last_wsa();
    if (int err = set_nonblocking(s)) {
        closesocket(s);
        return err;
    }
    out = static_cast<NativeSocket>(s);
    return 0;
}
} // namespace

int open_tcp(int win_family, NativeSocket& out) noexcept {
    return open_socket(win_family, SOCK_STREAM, IPPROTO_TCP, base_provider(win_family, SOCK_STREAM),
                       out);
}

int open_udp(int win_family, NativeSocket& out) noexcept {
    return open_socket(win_family, SOCK_DGRAM, IPPROTO_UDP, base_provider(win_family, SOCK_DGRAM),
                       out);
}

int bind(NativeSocket s, const void* win_addr, int len) noexcept {
    if (int err = check_address(win_addr, len))
        return err;
    return ::bind(native(s), static_cast<const sockaddr*>(win_addr), len) == 0 ? 0 : last_wsa();
}

int listen(NativeSocket s, int backlog) noexcept {
    return ::listen(native(s), backlog) == 0 ? 0 : last_wsa();
}

int set_non_blocking(NativeSocket, bool) noexcept {
    return 0; // base sockets stay non-blocking (open_tcp; rio/caller.h says why)
}

int accept(NativeSocket s, NativeSocket& out, void* win_addr, int* len) noexcept {
    out = invalid_socket;
    sockaddr_storage addr{};
    int addr_len = sizeof addr;
    SOCKET a = ::accept(native(s), reinterpret_cast<sockaddr*>(&addr), &addr_len);
    if (a == INVALID_SOCKET)
        return last_wsa();
    if (int err = set_nonblocking(a)) {
        closesocket(a);
        return err;
    }
    if (win_addr != nullptr && len != nullptr) {
        if (*len < addr_len) {
            closesocket(a);
            return WSAEFAULT;
        }
        std::memcpy(win_addr, &addr, static_cast<std::size_t>(addr_len));
        *len = addr_len;
    }
    out = static_cast<NativeSocket>(a);
    return 0;
}

int connect(NativeSocket s, const void* win_addr, int len) noexcept {
    if (int err = check_address(win_addr, len))
        return err;
    if (::connect(native(s), static_cast<const sockaddr*>(win_addr), len) == 0)
        return 0;
    return last_wsa(); // WSAEWOULDBLOCK while in progress, as the contract says
}

int dissolve_peer(NativeSocket s, int win_family) noexcept {
    sockaddr_in6 any{}; // zeroed: the unspecified address of either family, port 0
    any.sin6_family = static_cast<ADDRESS_FAMILY>(win_family);
    const int len = win_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    return ::connect(native(s), reinterpret_cast<const sockaddr*>(&any), len) == 0 ? 0 : last_wsa();
}

int connect_result(NativeSocket s) noexcept {
    int err = 0;
    int len = sizeof err;
    if (getsockopt(native(s), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len) != 0)
        return last_wsa();
    return err;
}

int wait_readable(NativeSocket s, int timeout_ms) noexcept {
    return wait_for(s, POLLRDNORM, timeout_ms);
}
int wait_writable(NativeSocket s, int timeout_ms) noexcept {
    return wait_for(s, POLLWRNORM, timeout_ms);
}

int shutdown_send(NativeSocket s) noexcept {
    return ::shutdown(native(s), SD_SEND) == 0 ? 0 : last_wsa();
}

// Up to max_parts of `parts` as WSABUFs (the rest goes with the next call); how many.
constexpr DWORD max_parts = 16;
template <class Bytes> DWORD to_wsabufs(std::span<const Bytes> parts, WSABUF* out) noexcept {
    DWORD n = 0;
    for (const Bytes& p : parts) {
        if (n == max_parts)
            break;
        out[n++] = WSABUF{static_cast<ULONG>(p.size),
                          static_cast<char*>(const_cast<void*>(static_cast<const void*>(p.data)))};
    }
    return n;
}

int send_now(NativeSocket s, std::span<const ConstBytes> parts, std::size_t& sent) noexcept {
    WSABUF bufs[max_parts];
    const DWORD n = to_wsabufs(parts, bufs);
    DWORD taken = 0; // the socket is non-blocking (open_tcp): WSAEWOULDBLOCK instead of waiting
    if (WSASend(native(s), bufs, n, &taken, 0, nullptr, nullptr) != 0)
        return last_wsa();
    sent = taken;
    return 0;
}

int recv_now(NativeSocket s, std::span<const MutableBytes> parts, std::size_t& got,
             Receive how) noexcept {
    WSABUF bufs[max_parts];
    const DWORD n = to_wsabufs(parts, bufs);
    DWORD received = 0; // non-blocking socket (open_tcp): WSAEWOULDBLOCK instead of waiting
    DWORD flags = how == Receive::peek ? MSG_PEEK : 0;
    if (WSARecv(native(s), bufs, n, &received, &flags, nullptr, nullptr) != 0)
        return last_wsa();
    got = received;
    return 0;
}

int send_to_now(NativeSocket s, std::span<const ConstBytes> parts, const void* win_addr, int len,
                std::size_t& sent) noexcept {
    if (parts.size() > max_parts)
        return WSAENOBUFS; // a datagram goes whole or not at all
    if (win_addr != nullptr)
        if (int err = check_address(win_addr, len))
            return err;
    WSABUF bufs[max_parts];
    const DWORD n = to_wsabufs(parts, bufs);
    DWORD taken = 0; // non-blocking socket (open_udp): WSAEWOULDBLOCK instead of waiting
    if (WSASendTo(native(s), bufs, n, &taken, 0, static_cast<const sockaddr*>(win_addr),
                  win_addr != nullptr ? len : 0, nullptr, nullptr) != 0)
        return last_wsa();
    sent = taken;
    return 0;
}

int recv_from_now(NativeSocket s, std::span<const MutableBytes> parts, void* win_addr, int* len,
                  Datagram& got, Receive how) noexcept {
    WSABUF bufs[max_parts];
    const DWORD n = to_wsabufs(parts, bufs);
    DWORD received = 0; // non-blocking socket (open_udp): WSAEWOULDBLOCK instead of waiting
    DWORD flags = how == Receive::peek ? MSG_PEEK : 0;
    got = Datagram{};
    if (WSARecvFrom(native(s), bufs, n, &received, &flags, static_cast<sockaddr*>(win_addr),
                    win_addr != nullptr ? len : nullptr, nullptr, nullptr) != 0) {
        const int err = last_wsa();
        if (err != WSAEMSGSIZE)
            return err;
        // Winsock fills the buffers and reports the rest as lost: the datagram was cut.
        got.truncated = true;
        for (const MutableBytes& p : parts)
            got.bytes += p.size;
        return 0;
    }
    got.bytes = received;
    return 0;
}

void interrupt_waits(NativeSocket) noexcept {
    // No Winsock call ends another thread's WSAPoll without closing the socket: the caller's
    // waits look at their flag between slices (rio/win/caller_win.cpp).
}

bool has_unsent_data(NativeSocket) noexcept {
    return false; // no Winsock query for unsent bytes (see net.h)
}

void close(NativeSocket s, bool abortive) noexcept {
    if (s == invalid_socket)
        return;
    if (abortive) {
        linger l{1, 0};
        (void)setsockopt(native(s), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l),
                         sizeof l);
    }
    closesocket(native(s));
}

int local_name(NativeSocket s, void* win_addr, int* len) noexcept {
    if (win_addr == nullptr || len == nullptr)
        return WSAEFAULT;
    return getsockname(native(s), static_cast<sockaddr*>(win_addr), len) == 0 ? 0 : last_wsa();
}

int peer_name(NativeSocket s, void* win_addr, int* len) noexcept {
    if (win_addr == nullptr || len == nullptr)
        return WSAEFAULT;
    return getpeername(native(s), static_cast<sockaddr*>(win_addr), len) == 0 ? 0 : last_wsa();
}

int set_option(NativeSocket s, Option o, int value) noexcept {
    auto [level, name] = native_option(o);
    return setsockopt(native(s), level, name, reinterpret_cast<const char*>(&value),
                      sizeof value) == 0
               ? 0
               : last_wsa();
}

int get_option(NativeSocket s, Option o, int& value) noexcept {
    auto [level, name] = native_option(o);
    value = 0; // BOOL options may be reported in fewer bytes
    int len = sizeof value;
    return getsockopt(native(s), level, name, reinterpret_cast<char*>(&value), &len) == 0
               ? 0
               : last_wsa();
}

int readable_bytes(NativeSocket s, int& bytes) noexcept {
    u_long n = 0;
    if (ioctlsocket(native(s), FIONREAD, &n) != 0)
        return last_wsa();
    bytes = static_cast<int>(n);
    return 0;
}

} // namespace riosp::rio::net

// ---------------------------------------------------------------------------------------------
// Poller: WSAPoll over the armed sockets plus a self-connected UDP socket that wake() (and
// arm(), so a concurrent wait() sees the new socket) writes a byte to.

namespace riosp::rio::net {

struct Poller::Impl {
    struct Armed {
        SOCKET s;
        SHORT events;
        void* tag;
    };
    std::mutex mu;
    std::vector<Armed> armed;     // guarded by mu
    std::vector<WSAPOLLFD> fds;   // wait()'s own (one waiting thread)
    std::vector<void*> tags;      // parallel to fds
    SOCKET wake = INVALID_SOCKET; // UDP, connected to itself
    std::atomic<bool> wake_pending{false};

    void poke() noexcept {
        if (!wake_pending.exchange(true, std::memory_order_acq_rel)) {
            const char b = 0;
            (void)::send(wake, &b, 1, 0);
        }
    }
};

Poller::~Poller() {
    if (impl_ != nullptr) {
        if (impl_->wake != INVALID_SOCKET)
            closesocket(impl_->wake);
        delete impl_;
    }
}

int Poller::open() noexcept {
    if (int err = ensure_startup())
        return err;
    impl_ = new (std::nothrow) Impl;
    if (impl_ == nullptr)
        return WSAENOBUFS;
    SOCKET w = ::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (w == INVALID_SOCKET)
        return last_wsa();
    impl_->wake = w;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof addr;
    if (::bind(w, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(w, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::connect(w, reinterpret_cast<sockaddr*>(&addr), len) != 0)
        return last_wsa();
    return set_nonblocking(w);
}

int Poller::arm(NativeSocket s, bool readable, bool writable, void* tag) noexcept {
    if (impl_ == nullptr)
        return WSAEINVAL;
    const SHORT events =
        static_cast<SHORT>((readable ? POLLRDNORM : 0) | (writable ? POLLWRNORM : 0));
    {
        std::lock_guard lock(impl_->mu);
        bool found = false;
        for (auto& a : impl_->armed) {
            if (a.s == native(s)) {
                a = {native(s), events, tag};
                found = true;
            }
        }
        if (!found) {
            try {
                impl_->armed.push_back({native(s), events, tag});
            } catch (...) {
                return WSAENOBUFS;
            }
        }
    }
    impl_->poke();
    return 0;
}

void Poller::disarm(NativeSocket s) noexcept {
    if (impl_ == nullptr)
        return;
    std::lock_guard lock(impl_->mu);
    std::erase_if(impl_->armed, [s](const Impl::Armed& a) { return a.s == native(s); });
}

int Poller::wait(Event* out, int capacity, int timeout_ms) noexcept {
    if (impl_ == nullptr || capacity <= 0)
        return 0;
    auto& im = *impl_;
    im.fds.clear();
    im.tags.clear();
    try {
        im.fds.push_back({im.wake, POLLRDNORM, 0});
        im.tags.push_back(nullptr);
        std::lock_guard lock(im.mu);
        for (const auto& a : im.armed) {
            im.fds.push_back({a.s, a.events, 0});
            im.tags.push_back(a.tag);
        }
    } catch (...) {
        return 0;
    }
    const int n =
        WSAPoll(im.fds.data(), static_cast<ULONG>(im.fds.size()), timeout_ms < 0 ? -1 : timeout_ms);
    if (n <= 0)
        return 0;
    if (im.fds[0].revents != 0) {
        char drain[64];
        while (::recv(im.wake, drain, sizeof drain, 0) > 0) {
        }
        im.wake_pending.store(false, std::memory_order_release);
    }
    int count = 0;
    std::lock_guard lock(im.mu);
    for (std::size_t i = 1; i < im.fds.size() && count < capacity; ++i) {
        const SHORT r = im.fds[i].revents;
        if (r == 0)
            continue;
        // One-shot: report only if still armed with this tag (not disarmed meanwhile).
        auto it = std::find_if(im.armed.begin(), im.armed.end(), [&](const Impl::Armed& a) {
            return a.s == im.fds[i].fd && a.tag == im.tags[i];
        });
        if (it == im.armed.end())
            continue;
        im.armed.erase(it);
        out[count++] = Event{im.tags[i], (r & (POLLRDNORM | POLLHUP)) != 0, (r & POLLWRNORM) != 0,
                             (r & (POLLERR | POLLNVAL)) != 0};
    }
    return count;
}

void Poller::wake() noexcept {
    if (impl_ != nullptr)
        impl_->poke();
}

} // namespace riosp::rio::net

// ---------------------------------------------------------------------------------------------
// WakeEvent: a manual-reset Win32 event (what RIO_EVENT_COMPLETION takes on Windows).

namespace riosp::rio::net {

WakeEvent::~WakeEvent() {
    if (handle_ != nullptr)
        CloseHandle(handle_);
}

int WakeEvent::open() noexcept {
    handle_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    return handle_ != nullptr ? 0 : static_cast<int>(GetLastError());
}

void WakeEvent::wait_and_reset(int timeout_ms) noexcept {
    if (WaitForSingleObject(handle_, timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms)) ==
        WAIT_OBJECT_0)
        ResetEvent(handle_);
}

void* WakeEvent::notification_handle() const noexcept {
    return handle_;
}

void WakeEvent::signal() noexcept {
    SetEvent(handle_);
}

} // namespace riosp::rio::net
