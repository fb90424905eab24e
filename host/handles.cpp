// Generation-checked socket handles (see handles.h for the design).
#include "host/handles.h"

#include <gsl/gsl>

namespace riosp::host {

namespace {
constexpr unsigned tag_bits = 2;
constexpr unsigned generation_shift = tag_bits + HandleTable::index_bits;
constexpr std::uint64_t live_bit = 1;

constexpr SOCKET encode(std::uint32_t index, std::uint64_t generation) noexcept {
    return static_cast<SOCKET>((generation << generation_shift) |
                               (std::uint64_t{index} << tag_bits));
}
} // namespace

HandleTable::HandleTable(std::uint32_t capacity, std::uint32_t max_generation)
    : capacity_(capacity), max_generation_(max_generation),
      slots_(std::make_unique<Slot[]>(capacity)) {
    Expects(capacity > 0 && capacity <= max_capacity);
    Expects(max_generation >= 1);
}

bool HandleTable::decode(SOCKET s, Decoded& d) const noexcept {
    const auto value = static_cast<std::uint64_t>(s);
    if ((value & ((1u << tag_bits) - 1)) != 0)
        return false;
    d.index = static_cast<std::uint32_t>((value >> tag_bits) & (max_capacity - 1));
    d.generation = value >> generation_shift;
    return d.index < capacity_ && d.generation >= 1 && d.generation <= max_generation_;
}

SOCKET HandleTable::create(DWORD_PTR context, int& error) noexcept {
    std::uint32_t index = 0;
    if (!free_.pop(index, [this](std::uint32_t i) -> rio::FreeList::Link& {
            return slots_[i].next_free;
        })) {
        std::uint32_t unused = next_unused_.load(std::memory_order_relaxed);
        do {
            if (unused >= capacity_) {
                error = WSAENOBUFS;
                return INVALID_SOCKET;
            }
        } while (
            !next_unused_.compare_exchange_weak(unused, unused + 1, std::memory_order_relaxed));
        index = unused;
        slots_[index].state.store(std::uint64_t{1} << 1, std::memory_order_relaxed);
    }
    Slot& slot = slots_[index];
    // The slot is ours alone now (off the free list, marked dead): nobody else writes it.
    const std::uint64_t generation = slot.state.load(std::memory_order_relaxed) >> 1;
    // Release on the context so that a reader who sees this context also sees the close that
    // preceded it (query() re-reads the state after the context; see there).
    slot.context.store(context, std::memory_order_release);
    slot.state.store((generation << 1) | live_bit, std::memory_order_release);
    live_.fetch_add(1, std::memory_order_relaxed);
    const SOCKET s = encode(index, generation);
    Ensures(s != 0 && s != INVALID_SOCKET && s % 4 == 0);
    return s;
}

bool HandleTable::close(SOCKET s) noexcept {
    Decoded d{};
    if (!decode(s, d))
        return false;
    Slot& slot = slots_[d.index];
    std::uint64_t expected = (d.generation << 1) | live_bit;
    // The CAS makes close idempotent under races: of two closers exactly one wins.
    if (!slot.state.compare_exchange_strong(expected, (d.generation + 1) << 1,
                                            std::memory_order_acq_rel))
        return false;
    live_.fetch_sub(1, std::memory_order_relaxed);
    release_slot(d.index, d.generation + 1);
    return true;
}

void HandleTable::release_slot(std::uint32_t index, std::uint64_t next_generation) noexcept {
    // A slot that has used up its generations stays dead: reusing generation 1 would revive
    // handles the application may still hold.
    if (next_generation > max_generation_)
        return;
    free_.push(index, slots_[index].next_free);
}

bool HandleTable::query(SOCKET s, DWORD_PTR& context) const noexcept {
    Decoded d{};
    if (!decode(s, d))
        return false;
    const Slot& slot = slots_[d.index];
    const std::uint64_t expected = (d.generation << 1) | live_bit;
    if (slot.state.load(std::memory_order_acquire) != expected)
        return false;
    const DWORD_PTR value = slot.context.load(std::memory_order_acquire);
    // Seqlock-style re-check: if the context we read was written by a later create, that
    // create's release store synchronised with our acquire load, so the close before it is
    // visible now and the state no longer matches. Generations never repeat: no ABA.
    if (slot.state.load(std::memory_order_acquire) != expected)
        return false;
    context = value;
    return true;
}

std::size_t HandleTable::close_all() noexcept {
    const std::uint32_t used = next_unused_.load(std::memory_order_acquire);
    std::size_t closed = 0;
    for (std::uint32_t i = 0; i < used; ++i) {
        const std::uint64_t state = slots_[i].state.load(std::memory_order_acquire);
        if ((state & live_bit) != 0 && close(encode(i, state >> 1)))
            ++closed;
    }
    return closed;
}

std::size_t HandleTable::live_count() const noexcept {
    return live_.load(std::memory_order_relaxed);
}

HandleTable& socket_handles() noexcept {
    // Never destroyed: a provider worker may still look a handle up while the process exits.
    static HandleTable* table = new HandleTable();
    return *table;
}

} // namespace riosp::host
