#include "watcher.h"

#include "data_path.h"
#include "provider_state.h"
#include "socket.h"
#include "socket_table.h"
#include "test_hooks.h"

#include <cstdint>

namespace riosp::provider {

Watcher& watcher() noexcept {
    static Watcher w;
    return w;
}

int Watcher::start() noexcept {
    stop_.store(false, std::memory_order_release);
    if (int err = poller_.open())
        return err;
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        return WSAENOBUFS;
    }
    return 0;
}

void Watcher::stop() noexcept {
    stop_.store(true, std::memory_order_release);
    poller_.wake();
    if (thread_.joinable())
        thread_.join();
    poller_.~Poller();
    new (&poller_) rio::net::Poller();
}

void Watcher::watch(Socket& s) noexcept {
    const HalfCloseConn conn = s.conn();
    // The tag is the socket's handle context, not its address: an event that comes after the
    // socket's close must not reach the next socket in its slot.
    void* tag = reinterpret_cast<void*>(static_cast<std::uintptr_t>(SocketTable::context_of(s)));
    (void)poller_.arm(s.fd, conn == HalfCloseConn::listening, conn == HalfCloseConn::connecting,
                      tag);
}

void rearm_fd_accept(Socket& l) noexcept {
    if (l.conn() != HalfCloseConn::listening || (l.event_mask & FD_ACCEPT) == 0)
        return;
    if (!l.held.empty())
        raise_event(l, FD_ACCEPT_BIT, 0);
    else
        watcher().watch(l);
}

void Watcher::run() noexcept {
    rio::net::Poller::Event events[32];
    while (!stop_.load(std::memory_order_acquire)) {
        int n = poller_.wait(events, 32, -1);
        for (int i = 0; i < n; ++i) {
            RIOSP_TEST_HOOK(watcher_event, reinterpret_cast<std::uintptr_t>(events[i].tag));
            // Held like a call's socket (provider_state.h): a socket closed since it was armed
            // no longer pins, and one closed after it pinned is seen under the lock.
            const SocketRef held(socket_table().pin(
                static_cast<DWORD_PTR>(reinterpret_cast<std::uintptr_t>(events[i].tag))));
            if (held == nullptr)
                continue;
            Socket& s = *held;
            SocketLock lock(s.mutex);
            if (!SocketTable::is_live(s))
                continue;
            const HalfCloseConn conn = s.conn();
            if (conn == HalfCloseConn::listening && events[i].readable) {
                raise_event(s, FD_ACCEPT_BIT, 0);
            } else if (conn == HalfCloseConn::connecting) {
                (void)finish_connect(s, lock); // wakes the selects watching it
            }
        }
    }
}

} // namespace riosp::provider
