// Socket objects and their handles.
//
// Why this shape: a closed handle must be dead forever, even after new sockets reuse its slot
// (docs/half-close.md, D1 and D9), and looking a handle up must take no global lock (every call
// looks one up; docs/design.md, "No global lock on handle lookup"). Socket objects live in chunks
// that are never freed before the last WSPCleanup, so a stale pointer always points at *a*
// Socket; the 32-bit generation stored in the handle context tells whether it is still *this*
// one. Recycling a slot pushes it on a lock-free free list (rio/free_list.h): no allocation and
// no lock on the close path, nor on a new socket's, unless the table has to grow.
#pragma once

#include <riosp/spi.h>

#include <rio/free_list.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace riosp::provider {

struct Socket;

class SocketTable {
public:
    SocketTable();
    ~SocketTable();
    SocketTable(const SocketTable&) = delete;
    SocketTable& operator=(const SocketTable&) = delete;

    // A fresh socket object (new generation), or nullptr when the table is full.
    [[nodiscard]] Socket* acquire();
    // Kills the socket's handle context at close: resolve() fails from now on.
    static void retire(Socket& s) noexcept;
    // Returns a retired socket whose last I/O has drained to the free list (no allocation).
    void recycle(Socket* s) noexcept;

    // Context value for WPUCreateSocketHandle: slot index and generation.
    [[nodiscard]] static DWORD_PTR context_of(const Socket& s) noexcept;
    // The live socket a context names, or nullptr (stale generation / out of range).
    [[nodiscard]] Socket* resolve(DWORD_PTR context) const noexcept;

    // Every socket acquired and not yet recycled, closed or not (for WSPCleanup). `f` must
    // not call back into the table.
    void for_each_in_use(void (*f)(Socket&));
    [[nodiscard]] int in_use() const noexcept {
        return in_use_count_.load(std::memory_order_acquire);
    }

    static constexpr std::uint32_t chunk_size = 256;
    static constexpr std::uint32_t max_chunks = 1024; // 262,144 sockets

private:
    [[nodiscard]] Socket* slot(std::uint32_t index) const noexcept;
    [[nodiscard]] static bool is_live(const Socket& s) noexcept;

    // Chunk pointers are published once and never move: lookups read them without a lock.
    std::unique_ptr<std::atomic<Socket*>[]> chunks_;
    std::atomic<std::uint32_t> count_{0};
    std::atomic<int> in_use_count_{0};
    std::mutex grow_mutex_; // one thread adds a chunk at a time
    rio::FreeList free_;    // through Socket::next_free: no lock to take or return a slot
};

} // namespace riosp::provider
