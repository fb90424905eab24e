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

    // A fresh socket object (new generation), or nullptr when the table is full: `limit`
    // sockets in use (RIOSP_MAX_SOCKETS), or no memory for a new chunk.
    [[nodiscard]] Socket* acquire();
    // The most sockets in use at once (1..capacity); capacity unless RIOSP_MAX_SOCKETS says less.
    void set_limit(std::uint32_t limit) noexcept;
    // Kills the socket's handle context at close: resolve() fails from now on.
    static void retire(Socket& s) noexcept;
    // Returns a retired socket whose last I/O has drained to the free list (no allocation).
    void recycle(Socket* s) noexcept;

    // Context value for WPUCreateSocketHandle: slot index and generation.
    [[nodiscard]] static DWORD_PTR context_of(const Socket& s) noexcept;
    // The live socket a context names, or nullptr (stale generation / out of range).
    [[nodiscard]] Socket* resolve(DWORD_PTR context) const noexcept;
    // Whether the socket's handle is still valid: false from its close (retire) on.
    [[nodiscard]] static bool is_live(const Socket& s) noexcept;

    // Every socket acquired and not yet recycled, closed or not (for WSPCleanup). `f` must
    // not call back into the table.
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
