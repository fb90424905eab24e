// A lock-free free list of slot indices (a Treiber stack), for the tables that hand out slots on
// hot paths from many threads: rio/slot_table.h (rio's handles, buffer ids and progress-thread
// targets, the provider's sockets: every socket, accept and close) and the host's handle table.
// With a mutex, hundreds of threads opening and closing connections at once queued on it
// (half-close churn at 256 connections: the table locks were a third of the futex calls riosp
// added to the kernel's own).
//
// The links live in the slots themselves (one atomic index each, kept by the table), so pushing
// and popping never allocate. The head carries a tag that every push and pop changes, so a pop
// that read a link and lost the race to a pop-push-pop of the same slot fails its compare-and-
// swap instead of installing a stale link (ABA). Order: LIFO, as the mutex-guarded stacks were.
#pragma once

#include <atomic>
#include <cstdint>

namespace riosp::rio {

class FreeList {
public:
    // A slot's link: the next free slot's index + 1 (0: none). One per slot, owned by the table.
    using Link = std::atomic<std::uint32_t>;

    // Takes the most recently pushed index; false when the list is empty. `link(i)` returns slot
    // i's Link. Acquire: what the pusher wrote into the slot before pushing is visible.
    template <class LinkOf> [[nodiscard]] bool pop(std::uint32_t& index, LinkOf&& link) noexcept {
        std::uint64_t head = head_.load(std::memory_order_acquire);
        for (;;) {
            const auto top = static_cast<std::uint32_t>(head);
            if (top == 0)
                return false;
            // May read a slot that another thread popped meanwhile: then the tag has moved on
            // and the compare-and-swap below fails.
            const std::uint32_t next = link(top - 1).load(std::memory_order_relaxed);
            if (head_.compare_exchange_weak(head, retag(head, next), std::memory_order_acquire,
                                            std::memory_order_acquire)) {
                index = top - 1;
                return true;
            }
        }
    }

    // Pushes the chain first..last (already linked from first to last; `last_link` is last's
    // Link). Release: everything written to those slots before is visible to their next popper.
    void push_chain(std::uint32_t first, Link& last_link) noexcept {
        std::uint64_t head = head_.load(std::memory_order_relaxed);
        do {
            last_link.store(static_cast<std::uint32_t>(head), std::memory_order_relaxed);
        } while (!head_.compare_exchange_weak(
            head, retag(head, first + 1), std::memory_order_release, std::memory_order_relaxed));
    }
    void push(std::uint32_t index, Link& link) noexcept { push_chain(index, link); }

    [[nodiscard]] bool empty() const noexcept {
        return static_cast<std::uint32_t>(head_.load(std::memory_order_acquire)) == 0;
    }

private:
    // The head: tag << 32 | (top index + 1).
    [[nodiscard]] static std::uint64_t retag(std::uint64_t head, std::uint32_t top) noexcept {
        return ((head >> 32) + 1) << 32 | top;
    }
    std::atomic<std::uint64_t> head_{0};
};

} // namespace riosp::rio
