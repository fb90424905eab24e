// Process-wide provider state: the startup reference count, the socket table and the worker
// pool, handle lookup for the entry points, and what keeps calls and the last WSPCleanup apart.
#pragma once

#include "socket_table.h"

#include <riosp/spi.h>

#include <atomic>
#include <cstddef>
#include <utility>

namespace riosp::provider {

struct Socket;
class WorkerPool;

namespace detail { // lifecycle.cpp; reached through the accessors below
extern SocketTable socket_table;
extern WorkerPool worker_pool;
extern std::atomic<bool> started;
} // namespace detail

[[nodiscard]] inline SocketTable& socket_table() noexcept {
    return detail::socket_table;
}
[[nodiscard]] inline WorkerPool& worker_pool() noexcept {
    return detail::worker_pool;
}
// True between the first WSPStartup and the last WSPCleanup.
[[nodiscard]] inline bool started() noexcept {
    return detail::started.load(std::memory_order_acquire);
}

// WSPStartup's work; returns 0 or the WSA error WSPStartup returns.
[[nodiscard]] int startup(WORD wVersionRequested, LPWSPDATA lpWSPData,
                          LPWSAPROTOCOL_INFOW lpProtocolInfo, const WSPUPCALLTABLE& UpcallTable,
                          LPWSPPROC_TABLE lpProcTable) noexcept;

// A call's hold on the socket its handle names: a pin (socket_table.h) that keeps the socket's
// slot from beginning its next life until the call returns, so that whatever the call touches,
// with or without the socket's lock, is this handle's socket, live or closed. Moves, never
// copies; the last pin of a closed socket recycles its slot.
class SocketRef {
public:
    SocketRef() noexcept = default;
    // Takes over a pin already held on `s` (or none: nullptr).
    explicit SocketRef(Socket* s) noexcept : s_(s) {}
    SocketRef(SocketRef&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
    SocketRef& operator=(SocketRef&& other) noexcept {
        SocketRef old(std::move(*this));
        s_ = std::exchange(other.s_, nullptr);
        return *this;
    }
    SocketRef(const SocketRef&) = delete;
    SocketRef& operator=(const SocketRef&) = delete;
    ~SocketRef() {
        if (s_ != nullptr)
            socket_table().unpin(*s_);
    }
    [[nodiscard]] Socket* operator->() const noexcept { return s_; }
    [[nodiscard]] Socket& operator*() const noexcept { return *s_; }
    [[nodiscard]] bool operator==(std::nullptr_t) const noexcept { return s_ == nullptr; }

private:
    Socket* s_ = nullptr;
};

// The live socket behind an application handle, held for the call, or none with *err =
// WSAENOTSOCK (closed, never ours, or garbage) / WSANOTINITIALISED (not started, or the last
// WSPCleanup is under way). Lock-free: one upcall and one compare-and-swap on the slot's state.
[[nodiscard]] SocketRef lookup(SOCKET s, LPINT err) noexcept;

// Under the socket's lock: whether its handle was closed since the call looked it up (a close
// retires the handle under that lock); then the call fails with fail(err, WSAENOTSOCK). Every
// call that acts on its socket without asking the state machine first checks it once it holds
// the lock, and again after any wait that let go of it; the state machine answers WSAENOTSOCK
// for a closed socket by itself.
[[nodiscard]] bool closed_meanwhile(const Socket& s, LPINT err) noexcept;
// What a call that found its socket and then finds it closed fails with (wsp.h's fail()
// translates WSAENOTSOCK so): WSAENOTSOCK (another thread closed it, D9), or WSAENETDOWN once the
// last WSPCleanup has begun (it closes every socket).
[[nodiscard]] inline int closed_error() noexcept {
    return started() ? WSAENOTSOCK : WSAENETDOWN;
}

// A new socket's way past the last WSPCleanup (WSPSocket, WSPAccept): counted from before it
// looks at `started` until it is in the socket table with its handle, so that the cleanup either
// finds it there, and closes it, or it finds the provider stopping, and fails with WSAENETDOWN
// (sequentially consistent on both sides). Held for a few instructions and one upcall.
class SocketCreation {
public:
    SocketCreation() noexcept;
    ~SocketCreation();
    SocketCreation(const SocketCreation&) = delete;
    SocketCreation& operator=(const SocketCreation&) = delete;
    // Whether the provider runs: the socket may be made (and the worker pool used).
    [[nodiscard]] bool admitted() const noexcept { return admitted_; }

private:
    bool admitted_;
};

} // namespace riosp::provider
