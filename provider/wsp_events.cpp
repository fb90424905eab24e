// Readiness: WSPSelect, WSPEventSelect, WSPEnumNetworkEvents.
#include "data_path.h"
#include "datagram_path.h"
#include "provider_state.h"
#include "selectors.h"
#include "socket.h"
#include "upcalls.h"
#include "watcher.h"
#include "wsp.h"

#include <gsl/gsl>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace riosp::provider {
namespace {

enum class Want : std::uint8_t { read, write, except };
constexpr std::array<Want, 3> wants = {Want::read, Want::write, Want::except};

// What a socket's own state says for one want of select(), and what is left to the kernel.
struct Look {
    bool ready = false;        // ready now, by riosp's state
    bool kernel_read = false;  // otherwise ready when the kernel says readable,
    bool kernel_write = false; // or writable (a connect in progress: its result)
};

// Readiness as Winsock defines it for select(), from the socket's facts (its lock held). What
// riosp does not hold itself (bytes or connections still in the kernel, a connect's result) is
// the kernel's to say; a change of what riosp holds wakes the select (wake_selectors).
Look look(const Socket& s, Want want) noexcept {
    const HalfCloseState st = s.state.load();
    if (st.datagram()) { // always "connected" enough to send; readable when a datagram waits
        bool ask_kernel = false;
        switch (want) {
        case Want::read:
            return Look{datagram_readable(s, ask_kernel), ask_kernel, false};
        case Want::write:
            return Look{st.send() == HalfCloseSend::open && s.send_in_flight == 0};
        case Want::except:
            return Look{};
        }
    }
    const HalfCloseConn conn = st.conn();
    switch (want) {
    case Want::read:
        if (conn == HalfCloseConn::listening) // a connection an accept left, or the kernel's
            return Look{!s.held.empty(), s.held.empty(), false};
        if (conn != HalfCloseConn::connected)
            return Look{};
        if (!s.recv_ring.empty() || st.fin_arrived() || st.reset())
            return Look{true};
        // Receives are demand-driven: what nobody asked for yet is still in the kernel.
        return Look{false, can_receive_in_caller(s), false};
    case Want::write:
        if (conn == HalfCloseConn::connecting)
            return Look{false, false, true};
        return Look{conn == HalfCloseConn::connected && st.send() == HalfCloseSend::open &&
                    s.send_ring.free() > 0};
    case Want::except: // a failed non-blocking connect
        if (conn == HalfCloseConn::connecting)
            return Look{false, false, true};
        return Look{conn == HalfCloseConn::unconnected && s.so_error != 0};
    }
    return Look{};
}

// The caller's three sets as they are in memory: fd_count handles each, however many fd_array
// declares (an application may #define FD_SETSIZE above 64, as Windows allows).
struct Sets {
    std::array<fd_set*, 3> sets;
    std::array<std::span<SOCKET>, 3> handles;

    explicit Sets(fd_set* r, fd_set* w, fd_set* e) noexcept : sets{r, w, e} {
        for (std::size_t k = 0; k < 3; ++k)
            if (sets[k] != nullptr)
                handles[k] =
                    std::span<SOCKET>(reinterpret_cast<SOCKET*>(reinterpret_cast<char*>(sets[k]) +
                                                                offsetof(fd_set, fd_array)),
                                      sets[k]->fd_count);
    }
    [[nodiscard]] std::size_t entries() const noexcept {
        return handles[0].size() + handles[1].size() + handles[2].size();
    }
    // Entry e (the sets one after the other): its set and its handle.
    [[nodiscard]] std::size_t set_of(std::size_t e) const noexcept {
        return e < handles[0].size() ? 0 : e < handles[0].size() + handles[1].size() ? 1 : 2;
    }
    [[nodiscard]] SOCKET handle(std::size_t e) const noexcept {
        for (const auto& h : handles) {
            if (e < h.size())
                return h[e];
            e -= h.size();
        }
        return INVALID_SOCKET;
    }
    // Keeps the ready handles of each set, in their order.
    void keep(const std::vector<std::uint8_t>& ready) const noexcept {
        std::size_t e = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            u_int kept = 0;
            for (SOCKET h : handles[k])
                if (ready[e++] != 0)
                    handles[k][kept++] = h;
            if (sets[k] != nullptr)
                sets[k]->fd_count = kept;
        }
    }
};

// Looks a handle up again after the call started: one closed meanwhile ends the call with
// WSAEINTR, as for any blocking call a close ends (Windows Sockets 2, 2.7).
SocketRef look_up_again(SOCKET h, LPINT lpErrno) noexcept {
    SocketRef s = lookup(h, lpErrno);
    if (s == nullptr && *lpErrno == WSAENOTSOCK)
        *lpErrno = WSAEINTR;
    return s;
}

// One look at every socket of the sets: each handle looked up (the first pass counts the call
// as watching it), ready ones marked, what the kernel decides put in w.watches. The number
// ready, or -1 with *lpErrno.
int look_at_all(const Sets& sets, SelectWaiter& w, bool first, LPINT lpErrno) noexcept {
    w.watches.clear();
    w.watched.clear();
    int ready = 0;
    std::uint32_t e = 0;
    for (std::size_t k = 0; k < 3; ++k) {
        for (SOCKET h : sets.handles[k]) {
            // Held while it is looked at; the count raised below outlives the hold, which is
            // why a socket's count of watching selects is never reset (selectors.h).
            SocketRef s = first ? lookup(h, lpErrno) : look_up_again(h, lpErrno);
            if (s == nullptr)
                return -1;
            if (first) { // before the look: a change after it wakes this call (selectors.h)
                s->selects.fetch_add(1, std::memory_order_seq_cst);
                w.counted.push_back(&*s);
            }
            SocketLock lock(s->mutex);
            const Look l = look(*s, wants[k]);
            w.ready[e] = l.ready ? 1 : 0;
            if (l.ready) {
                ++ready;
            } else if (l.kernel_read || l.kernel_write) {
                w.watches.push_back(
                    rio::net::ReadyWait::Watch{s->fd, l.kernel_read, l.kernel_write, false});
                w.watched.push_back(e);
            }
            ++e;
        }
    }
    return ready;
}

// What the kernel said: a socket it reports ready is ready (a connect in progress is finished
// first, which tells a success from a failure). The number newly ready, or -1 with *lpErrno.
int take_kernel_answers(const Sets& sets, SelectWaiter& w, LPINT lpErrno) noexcept {
    int ready = 0;
    for (std::size_t i = 0; i < w.watches.size(); ++i) {
        if (!w.watches[i].ready)
            continue;
        const std::uint32_t e = w.watched[i];
        SocketRef s = look_up_again(sets.handle(e), lpErrno);
        if (s == nullptr)
            return -1;
        const Want want = wants[sets.set_of(e)];
        if (want != Want::read) {
            SocketLock lock(s->mutex);
            if (s->conn() == HalfCloseConn::connecting)
                (void)finish_connect(*s, lock);
            if (!look(*s, want).ready)
                continue;
        }
        w.ready[e] = 1;
        ++ready;
    }
    return ready;
}

} // namespace

// The sockets' readiness is looked at once per pass; when none is ready the call waits, in one
// system call, for the kernel's readiness of the descriptors whose readiness the kernel holds and
// for a wake-up from whoever changes what riosp holds (selectors.h), then looks again.
int WSPAPI WSPSelect(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                     RIOSP_SELECT_TIMEOUT timeout, LPINT lpErrno) {
    (void)nfds; // ignored, as on Windows
    if (readfds == nullptr && writefds == nullptr && exceptfds == nullptr)
        return fail(lpErrno, WSAEINVAL);
    using clock = std::chrono::steady_clock;
    using std::chrono::microseconds;
    const bool forever = timeout == nullptr;
    const auto deadline = forever ? clock::time_point::max()
                                  : clock::now() +
                                        std::chrono::seconds(std::max<LONG>(timeout->tv_sec, 0)) +
                                        microseconds(std::max<LONG>(timeout->tv_usec, 0));
    const Sets sets(readfds, writefds, exceptfds);
    SelectWaiter* waiter = take_select_waiter();
    if (waiter == nullptr)
        return fail(lpErrno, WSAENOBUFS);
    const auto given_back = gsl::finally([waiter] { give_back(*waiter); });
    SelectWaiter& w = *waiter;
    try {
        w.ready.assign(sets.entries(), 0);
        w.watches.reserve(sets.entries());
        w.watched.reserve(sets.entries());
        w.counted.reserve(sets.entries());
    } catch (...) {
        return fail(lpErrno, WSAENOBUFS);
    }
    for (bool first = true;; first = false) {
        int ready = look_at_all(sets, w, first, lpErrno);
        if (ready < 0)
            return SOCKET_ERROR;
        const auto left = forever
                              ? microseconds(-1)
                              : std::max(std::chrono::ceil<microseconds>(deadline - clock::now()),
                                         microseconds(0));
        if (!w.watches.empty() || (ready == 0 && left != microseconds(0))) {
            if (int err = w.wait.wait(w.watches, ready > 0 ? microseconds(0) : left))
                return fail(lpErrno, err);
            const int more = take_kernel_answers(sets, w, lpErrno);
            if (more < 0)
                return SOCKET_ERROR;
            ready += more;
        }
        if (ready > 0 || (!forever && clock::now() >= deadline)) {
            sets.keep(w.ready);
            return ready;
        }
    }
}

int WSPAPI WSPEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (lNetworkEvents != 0 && hEventObject == nullptr)
        return fail(lpErrno, WSAEINVAL);
    SocketLock lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    sock->event = hEventObject;
    sock->event_mask = lNetworkEvents & FD_ALL_EVENTS;
    sock->events_pending = 0;
    if (lNetworkEvents != 0) // selecting events makes the socket non-blocking, as on Windows
        if (int err = set_mode(*sock, true))
            return fail(lpErrno, err);
    // Conditions that already hold are reported at once (Windows re-enabling rules).
    HalfCloseState st = sock->state.load();
    rearm_fd_accept(*sock); // at once while the listener holds a connection
    if (sock->conn() == HalfCloseConn::connecting && (sock->event_mask & (FD_CONNECT | FD_WRITE)))
        watcher().watch(*sock);
    if (st.datagram()) {
        // FD_READ: a receive into the ring while the selection lasts (datagram_path.cpp).
        if (int err = take_incoming(*sock))
            return fail(lpErrno, err);
        if (sock->dgram_held)
            raise_event(*sock, FD_READ_BIT, 0);
        if (st.send() == HalfCloseSend::open && sock->send_in_flight == 0)
            raise_event(*sock, FD_WRITE_BIT, 0);
    }
    if (sock->conn() == HalfCloseConn::connected) {
        // FD_READ / FD_CLOSE need incoming data taken in as it arrives (data_path.cpp).
        if (int err = take_incoming(*sock))
            return fail(lpErrno, err);
        if (!sock->recv_ring.empty())
            raise_event(*sock, FD_READ_BIT, 0);
        if (st.send() == HalfCloseSend::open && sock->send_ring.free() > 0)
            raise_event(*sock, FD_WRITE_BIT, 0);
        // The machine raised FD_CLOSE once, when the FIN arrived or the connection was reset:
        // a new selection hears of it again (Windows' re-enabling rule).
        if (st.fin_arrived() || st.reset())
            raise_fd_close(*sock, st.reset() ? WSAECONNRESET : 0);
    }
    return 0;
}

int WSPAPI WSPEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject, LPWSANETWORKEVENTS lpNetworkEvents,
                                LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    if (lpNetworkEvents == nullptr)
        return fail(lpErrno, WSAEFAULT);
    SocketLock lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    lpNetworkEvents->lNetworkEvents = sock->events_pending;
    for (int bit = 0; bit < FD_MAX_EVENTS; ++bit)
        lpNetworkEvents->iErrorCode[bit] =
            (sock->events_pending & (1 << bit)) ? sock->event_errors[static_cast<size_t>(bit)] : 0;
    sock->events_pending = 0;
    if (hEventObject != nullptr) {
        int err = 0;
        (void)upcalls().lpWPUResetEvent(hEventObject, &err);
    }
    // FD_READ stays asserted while data is buffered (Winsock re-enables it on each recv).
    if ((sock->conn() == HalfCloseConn::connected && !sock->recv_ring.empty()) || sock->dgram_held)
        raise_event(*sock, FD_READ_BIT, 0);
    return 0;
}

} // namespace riosp::provider
