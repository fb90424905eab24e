// Socket objects and their handles.
//
// Why this shape: a closed handle must be dead forever, even after new sockets reuse its slot
// (docs/half-close.md, D1 and D9), and looking a handle up must take no global lock (every call
// looks one up; docs/design.md, "No global lock on handle lookup"). Socket objects are the slots
// of a generation-checked slot table (rio/slot_table.h): they live in chunks that are never
// freed before the last WSPCleanup, so a stale pointer always points at *a* Socket, and the
// generation in the handle context tells whether it is still *this* one. Recycling a slot pushes
// it on the table's lock-free free list: no allocation and no lock on the close path, nor on a
// new socket's, unless the table has to grow.
//
// A socket's lives, and who holds a slot (docs/threading.md, "Handle lookup and a socket's
// lives"): a slot is held by pins, and begins its next life only when it is retired (its handle
// closed) and the last pin is gone:
// - the socket's own reference, taken by acquire() and dropped by release() once the socket has
//   been released (its kernel socket closed, nothing in flight);
// - one per call that looked the handle up (pin(), provider_state.h's SocketRef), for the
//   length of the call, and the creator's while WSPSocket / WSPAccept finish the socket.
// So a call that looked a handle up acts on that handle's socket, live or closed, and never on
// the next socket that takes the slot; it sees the close under the socket's lock
// (is_live: a close retires the handle under it). Whoever drops the last pin recycles.
#pragma once

#include <riosp/spi.h>

#include <rio/slot_table.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace riosp::provider {

struct Socket;

class SocketTable {
public:
    SocketTable();
    ~SocketTable();
    SocketTable(const SocketTable&) = delete;
    SocketTable& operator=(const SocketTable&) = delete;

    // A fresh socket object (new generation), live, holding its own reference and one pin for
    // its creator (who lets go with unpin()); nullptr when the table is full: `limit` sockets in
    // use (RIOSP_MAX_SOCKETS), or no memory for a new chunk.
    [[nodiscard]] Socket* acquire();
    // The most sockets in use at once (1..capacity); capacity unless RIOSP_MAX_SOCKETS says less.
    void set_limit(std::uint32_t limit) noexcept;
    // The live socket a handle context names, pinned until unpin(); nullptr when the context is
    // stale, out of range or not live (or, beyond any real count, when the slot's pins are full).
    [[nodiscard]] Socket* pin(DWORD_PTR context) noexcept;
    // Lets go of a pin; the last one of a retired socket recycles its slot.
    void unpin(Socket& s) noexcept;
    // Kills the socket's handle context at close: pin() fails from now on.
    static void retire(Socket& s) noexcept;
    // Drops the socket's own reference once it has been released (retired, kernel socket closed,
    // nothing in flight): the slot is recycled now, or by the last call still holding it.
    void release(Socket& s) noexcept;

    // Context value for WPUCreateSocketHandle: slot index and generation.
    [[nodiscard]] static DWORD_PTR context_of(const Socket& s) noexcept;
    // Whether the socket's handle is still valid: false from its close (retire) on. Under the
    // socket's lock with a pin held, this is the close of the handle the pin was taken for.
    [[nodiscard]] static bool is_live(const Socket& s) noexcept;
    // Pins holding the socket now: its own reference (until release) and the calls inside.
    [[nodiscard]] static std::uint32_t pins(const Socket& s) noexcept;

    // Every socket acquired and not yet recycled, closed or not (for WSPCleanup). `f` must
    // not acquire.
    void for_each_in_use(void (*f)(Socket&));
    [[nodiscard]] int in_use() const noexcept { return static_cast<int>(table_.in_use()); }

    static constexpr std::uint32_t chunk_size = 256;
    static constexpr std::uint32_t max_chunks = 1024; // 262,144 sockets
    static constexpr std::uint32_t capacity = chunk_size * max_chunks;

private:
    // Socket slabs come from the provider's heap (heap.h), not the application's allocator.
    struct Slabs {
        [[nodiscard]] static void* allocate(std::size_t bytes, std::size_t alignment) noexcept;
        static void release(void* slab, std::size_t alignment) noexcept;
    };
    using Table = rio::SlotTable<Socket, chunk_size, max_chunks, Slabs>;
    Table table_;
    std::atomic<std::uint32_t> limit_{capacity};
};

} // namespace riosp::provider
