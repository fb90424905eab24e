// The socket handle table behind WPUCreateSocketHandle / WPUCloseSocketHandle /
// WPUQuerySocketHandleContext.
//
// Why this shape: the provider looks a handle up on every call (the hot path), so a lookup
// takes no lock at all: it reads one fixed array of atomic slots. A handle value encodes the
// slot index and the slot's generation; closing bumps the generation, so a closed handle never
// matches again, even after the slot has been handed out anew (no reuse race, no ABA). A slot
// whose generation would wrap is retired instead of reused, so "dead forever" holds for the
// whole life of the process. Creation and close take no lock either: free slots wait on a
// lock-free free list (rio/free_list.h; header-only, the host does not link rio).
#pragma once

#include <riosp/spi.h>

#include <rio/free_list.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace riosp::host {

class HandleTable {
public:
    // Handle layout: bits 0-1 zero (Windows handles are multiples of 4, and some code relies on
    // it), bits 2-17 slot index, bits 18-49 generation (>= 1, so a handle is never 0 and never
    // INVALID_SOCKET).
    static constexpr unsigned index_bits = 16;
    static constexpr std::uint32_t max_capacity = 1u << index_bits;

    explicit HandleTable(std::uint32_t capacity = max_capacity,
                         std::uint32_t max_generation = UINT32_MAX);
    HandleTable(const HandleTable&) = delete;
    HandleTable& operator=(const HandleTable&) = delete;

    // INVALID_SOCKET with WSAENOBUFS when every slot is live or retired.
    [[nodiscard]] SOCKET create(DWORD_PTR context, int& error) noexcept;
    // false when s is not a live handle (never issued, or already closed).
    [[nodiscard]] bool close(SOCKET s) noexcept;
    // Lock-free. false when s is not a live handle.
    [[nodiscard]] bool query(SOCKET s, DWORD_PTR& context) const noexcept;
    // Kills every live handle (the last WSACleanup: contexts point into an unloaded provider).
    std::size_t close_all() noexcept;

    [[nodiscard]] std::size_t live_count() const noexcept;

private:
    struct Slot {
        // generation << 1 | live. Generation 0 means "never issued".
        std::atomic<std::uint64_t> state{0};
        std::atomic<DWORD_PTR> context{0};
        rio::FreeList::Link next_free{0};
    };
    struct Decoded {
        std::uint32_t index;
        std::uint64_t generation;
    };
    [[nodiscard]] bool decode(SOCKET s, Decoded& d) const noexcept;
    void release_slot(std::uint32_t index, std::uint64_t next_generation) noexcept;

    const std::uint32_t capacity_;
    const std::uint64_t max_generation_;
    std::unique_ptr<Slot[]> slots_;
    std::atomic<std::size_t> live_{0};

    rio::FreeList free_;                        // through Slot::next_free, lock-free
    std::atomic<std::uint32_t> next_unused_{0}; // slots below it have been handed out once
};

// The process-wide table the upcalls use.
[[nodiscard]] HandleTable& socket_handles() noexcept;

} // namespace riosp::host
