// Selects that wait, and what wakes them (WSPSelect, wsp_events.cpp).
//
// Why: a socket's readiness is the kernel's (bytes nobody has taken yet, a pending connection, a
// connect's result) and riosp's own (bytes a worker put into its receive ring, a FIN or a reset a
// worker saw, ring room a send completion freed, a connection an accept left with its listener).
// A select that finds nothing ready blocks in one wait over its sockets' kernel descriptors and
// a wake-up of its own (rio::net::ReadyWait); whoever changes riosp's side of a socket's
// readiness, or closes it, calls wake_selectors. With nobody selecting the socket that costs one
// load of its count of watching selects.
#pragma once

#include <rio/net.h>

#include <cstdint>
#include <vector>

namespace riosp::provider {

struct Socket;

// What one select call works with: its wake-up and its scratch. Waiters are pooled and keep
// their storage, so a select allocates only when it watches more sockets than any before it.
struct SelectWaiter {
    rio::net::ReadyWait wait;
    // The kernel descriptors this pass waits for, and for each the entry it belongs to.
    std::vector<rio::net::ReadyWait::Watch> watches;
    std::vector<std::uint32_t> watched;
    // The sockets whose count of watching selects this call raised (one per entry).
    std::vector<Socket*> counted;
    // Per entry (the read, write and except sets one after the other): ready now.
    std::vector<std::uint8_t> ready;
};

// A waiter for one select call, registered as waiting (wake_selectors reaches it) until it is
// given back; nullptr when none can be made (no memory or no descriptor: WSAENOBUFS).
[[nodiscard]] SelectWaiter* take_select_waiter() noexcept;
// Lowers the counts the call raised and returns the waiter to the pool.
void give_back(SelectWaiter& w) noexcept;

// Wakes every waiting select if any watches `s`. Called after riosp's side of s's readiness
// changed (with s's lock held or not), and when s is closed.
void wake_selectors(const Socket& s) noexcept;

} // namespace riosp::provider
