// rio/net.h's ReadyWait over WSAPoll and a self-connected UDP socket, which wake() writes a
// byte to (Winsock cannot poll an event object beside sockets).
#include <rio/net.h>
#include <rio/win/winsock_base_win.h>

#include <winsock2.h>

#include <atomic>
#include <new>
#include <vector>

namespace riosp::rio::net {

struct ReadyWait::Impl {
    SOCKET wake = INVALID_SOCKET; // UDP, connected to itself: readable while a wake-up waits
    // A wake-up is written and not yet seen by a wait: further wake() calls write nothing.
    std::atomic<bool> pending{false};
    std::vector<WSAPOLLFD> fds; // wait()'s own: [0] the wake-up socket, then the watches
};

namespace {
int last_wsa() noexcept {
    const int err = WSAGetLastError();
    return err != 0 ? err : WSASYSCALLFAILURE;
}
} // namespace

ReadyWait::~ReadyWait() {
    if (impl_ == nullptr)
        return;
    if (impl_->wake != INVALID_SOCKET)
        closesocket(impl_->wake);
    delete impl_;
}

int ReadyWait::open() noexcept {
    if (int err = ensure_startup())
        return err;
    impl_ = new (std::nothrow) Impl;
    if (impl_ == nullptr)
        return WSAENOBUFS;
    const WSAPROTOCOL_INFOW* base = base_provider(AF_INET, SOCK_DGRAM);
    SOCKET w =
        WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, const_cast<WSAPROTOCOL_INFOW*>(base), 0, 0);
    if (w == INVALID_SOCKET)
        return last_wsa();
    impl_->wake = w;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof addr;
    u_long on = 1;
    if (::bind(w, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(w, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::connect(w, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ioctlsocket(w, FIONBIO, &on) != 0)
        return last_wsa();
    return 0;
}

int ReadyWait::wait(std::span<Watch> watches, std::chrono::microseconds timeout) noexcept {
    Impl& im = *impl_;
    try {
        im.fds.resize(watches.size() + 1);
    } catch (...) {
        return WSAENOBUFS;
    }
    im.fds[0] = WSAPOLLFD{im.wake, POLLRDNORM, 0};
    for (std::size_t i = 0; i < watches.size(); ++i) {
        Watch& w = watches[i];
        w.ready = false;
        im.fds[i + 1] = WSAPOLLFD{
            static_cast<SOCKET>(w.s),
            static_cast<SHORT>((w.readable ? POLLRDNORM : 0) | (w.writable ? POLLWRNORM : 0)), 0};
    }
    // WSAPoll counts milliseconds: round up, so a short timeout is not a busy look.
    const INT ms = timeout.count() < 0 ? -1 : static_cast<INT>((timeout.count() + 999) / 1000);
    if (WSAPoll(im.fds.data(), static_cast<ULONG>(im.fds.size()), ms) == SOCKET_ERROR)
        return last_wsa();
    if (im.fds[0].revents != 0) {
        char drain[64];
        while (::recv(im.wake, drain, sizeof drain, 0) > 0) {
        }
        im.pending.store(false, std::memory_order_seq_cst);
    }
    for (std::size_t i = 0; i < watches.size(); ++i)
        watches[i].ready = im.fds[i + 1].revents != 0;
    return 0;
}

void ReadyWait::wake() noexcept {
    if (impl_->pending.exchange(true, std::memory_order_seq_cst))
        return;
    const char b = 0;
    (void)::send(impl_->wake, &b, 1, 0);
}

} // namespace riosp::rio::net
