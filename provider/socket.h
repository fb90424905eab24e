// One provider socket: its kernel socket, its RIO request queue over a registered buffer that
// holds a send ring and a receive ring (both set up at their first use, see data_path.cpp), its
// half-close state, the application operations waiting on it, and the blocking calls waiting in
// their own threads. Everything except `state` is guarded by `mutex`.
#pragma once

#include "byte_ring.h"
#include "half_close.h"
#include "heap.h"
#include "op_queue.h"
#include "pending_op.h"

#include <rio/caller.h>
#include <rio/net.h>
#include <rio/rio.h>
#include <rio/slot_table.h>

#include <riosp/spi.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace riosp::provider {

class Worker;

inline constexpr std::uint32_t send_ring_bytes = 64 * 1024;
inline constexpr std::uint32_t recv_ring_bytes = 64 * 1024;
// Datagram sockets use the rings' memory as two areas of one datagram each (64 KiB holds the
// largest UDP payload, 65,507 bytes), and after them two registered slots for the datagrams'
// addresses (a Windows SOCKADDR_INET, 28 bytes): RIOSendEx / RIOReceiveEx take them there.
inline constexpr std::uint32_t address_slot_bytes = 32;
inline constexpr std::uint32_t send_address_offset = send_ring_bytes + recv_ring_bytes;
inline constexpr std::uint32_t recv_address_offset = send_address_offset + address_slot_bytes;
inline constexpr std::uint32_t socket_region_bytes = recv_address_offset + address_slot_bytes;

// Socket::callers: how many blocking calls wait in their own threads (the low bits), and whether
// receives issued after them wait for the last of them to leave (caller_wait.h).
inline constexpr int callers_followed = 1 << 30;
inline constexpr int caller_count = callers_followed - 1;

// The events the actions of a transition caused (an operation completed: send_done or io_done;
// the FIN left: fin_sent; ...), waiting for act_on's loop to apply them after those actions
// (data_path.cpp), instead of applying each where it arose, inside the actions of the
// transition before it. Counted per kind: any number of completions takes no room, and the
// loop applies them kind by kind (fin_arrived before peer_fin, as they happen).
class FollowUps {
public:
    void add(HalfCloseEvent e) noexcept {
        ++count_[static_cast<std::size_t>(e)];
        ++total_;
    }
    // The next event to apply, if any.
    [[nodiscard]] bool take(HalfCloseEvent& e) noexcept {
        if (total_ == 0)
            return false;
        std::size_t k = 0;
        while (count_[k] == 0)
            ++k;
        --count_[k];
        --total_;
        e = static_cast<HalfCloseEvent>(k);
        return true;
    }
    void clear() noexcept {
        count_ = {};
        total_ = 0;
    }

private:
    std::array<std::uint32_t, half_close_event_count> count_{};
    std::uint32_t total_ = 0;
};

// The operations waiting on a socket, oldest first per direction (op_queue.h).
struct OpQueues {
    OpQueue recv;
    OpQueue send;
};

// A slot of the socket table (rio::TableSlot: its generation, whether its handle is live, its
// index; read lock-free through SocketTable).
struct Socket : rio::TableSlot {
    Socket() = default;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    // --- configuration ---
    std::mutex mutex;
    std::condition_variable cv; // blocking callers wait here
    SOCKET handle = INVALID_SOCKET;
    int family = AF_INET;
    rio::net::NativeSocket fd = rio::net::invalid_socket;
    // FIONBIO (or an event selection); atomic: a blocking accept reads it without the lock.
    std::atomic<bool> non_blocking{false};
    bool linger_on = false;
    std::uint16_t linger_seconds = 0;
    int so_error = 0;
    Worker* worker = nullptr;

    HalfClose state;
    bool app_rio = false;           // handed to the application's RIO request queue
    RIO_RQ app_rq = RIO_INVALID_RQ; // that queue: closed with the socket, as on Windows

    // --- data path (memory and registration live across recycling: set up once, at the first
    // use of a ring; the request queue per connection, also at its first use) ---
    heap::RegionPtr memory; // send ring, then receive ring (from the provider's heap)
    std::optional<rio::RegisteredBuffer> registration;
    std::optional<rio::RequestQueue> rq;
    // Blocking calls waiting in their own threads (caller_wait.h): `wait` is what a close
    // interrupts them all with; `callers` counts them (caller_count), atomic: a call leaves
    // without the lock. Its bit callers_followed: receives wait behind the ones counted.
    rio::caller::Wait wait;
    std::atomic<int> callers{0};
    ByteRing send_ring;
    ByteRing recv_ring;
    std::uint32_t send_in_flight = 0; // bytes of the one outstanding RIO send (0: none)
    bool recv_in_flight = false;      // the one outstanding RIO receive (into the ring)
    // The ring holds one of the state machine's pending sends while it has bytes, so the FIN
    // cannot be issued before they reach the kernel (see data_path.cpp).
    bool ring_counted = false;
    int io_in_flight = 0; // RIO requests not yet completed: recycling waits for 0

    // --- datagram sockets (the state machine's datagram fact) ---
    // The default peer WSPConnect set (the kernel filters sources by it): sends name no
    // address then, and a destination given anyway is ignored, as Windows does. Its address too
    // (Windows layout; length 0: none), which a datagram going through the ring carries
    // explicitly: the application may connect elsewhere, or dissolve, before it leaves.
    std::array<char, 28> dgram_peer_addr{};
    int dgram_peer_len = 0;
    [[nodiscard]] bool dgram_peer() const noexcept { return dgram_peer_len > 0; }
    // A datagram a RIO receive brought into the receive area that no receive has taken yet
    // (FD_READ selected, or the receive it was for was aborted): its size, whether the kernel
    // cut it, and its source in the receive address slot.
    bool dgram_held = false;
    bool dgram_truncated = false;
    std::uint32_t dgram_bytes = 0;

    OpQueues ops;
    // act_on is performing a transition's actions (under `mutex`): events they cause wait in
    // `followups` for its loop.
    bool acting = false;
    FollowUps followups;

    // --- network events (WSPEventSelect) ---
    WSAEVENT event = nullptr;
    // Written under `mutex`; atomic because a blocking accept looks at it without the lock
    // (most listeners have no event selection, and their accepts then need no lock at all).
    std::atomic<LONG> event_mask{0};
    LONG events_pending = 0;
    std::array<int, FD_MAX_EVENTS> event_errors{};
    bool write_blocked = false; // a send saw WSAEWOULDBLOCK: FD_WRITE when space frees

    // --- a listener's connections the kernel has accepted but no accept has handed out: one
    // whose condition function deferred it (CF_DEFER), or one an accept took and could not hand
    // out (a full socket table ...). Oldest first; the next accept takes them before the kernel's,
    // and a close of the listener resets them. The storage is kept across lives. ---
    struct HeldConnection {
        rio::net::NativeSocket fd = rio::net::invalid_socket;
        std::array<char, 28> peer{}; // Windows layout
        int peer_len = 0;
    };
    std::vector<HeldConnection> held;
    // Whether `held` has any: an accept on a listener without event selection takes no lock
    // unless it does.
    std::atomic<bool> holds_connections{false};

    // WSPSelect calls watching this socket now (selectors.h): a change of riosp's side of its
    // readiness wakes them. Counts the object, not one life: never reset.
    std::atomic<std::uint32_t> selects{0};

    // Where the connection stands (unconnected, listening, connecting, connected): a fact of the
    // state machine, the only place it is kept.
    [[nodiscard]] HalfCloseConn conn() const noexcept { return state.load().conn(); }

    // Released: its kernel socket closed and its own reference to the slot dropped, nothing in
    // flight (data_path.cpp, release). From then until the slot's next life only calls that
    // still hold it (SocketRef) can reach it, and they find it closed.
    [[nodiscard]] bool released() const noexcept { return fd == rio::net::invalid_socket; }

    [[nodiscard]] char* send_base() noexcept { return memory.get(); }
    [[nodiscard]] char* recv_base() noexcept { return memory.get() + send_ring_bytes; }
    [[nodiscard]] bool datagram() const noexcept { return state.load().datagram(); }
};

} // namespace riosp::provider
