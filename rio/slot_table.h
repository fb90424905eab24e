// A generation-checked slot table: the one shape behind every handle riosp hands out and must
// recognise again. rio's RIO_CQ and RIO_RQ handles (core/rio_table.cpp), its RIO_BUFFERIDs
// (core/buffers.cpp) and its progress thread's epoll targets (posix/progress_thread.cpp) live in
// one, and so do the provider's sockets (provider/socket_table.cpp). Header-only: the provider
// uses it with its own memory.
//
// Why this shape:
// - A handle is (generation << 32) | (index + 1): it names a slot and the slot's life. The
//   generation moves on when a slot is recycled, so a stale handle never matches the slot's next
//   life (no ABA through reuse), and 0 is never a handle.
// - Slots live in chunks that never move and are never freed while the table exists: a lookup
//   reads a chunk pointer and the slot's state word, without a lock, and a pointer to a slot
//   stays a pointer to *a* slot (the provider's workers hold socket pointers across a close;
//   a pin keeps it *this* slot's life).
// - Free slots wait on a lock-free free list (rio/free_list.h): taking and returning a slot
//   takes no lock (hundreds of threads open and close connections at once, and a mutex there
//   was a third of the futex calls riosp added to the kernel's own). Only growing by a chunk
//   takes a mutex, at most MaxChunks times in a process's life.
//
// A slot's whole life is its atomic state word, generation << 32 | live << 31 | taken << 30 |
// pins:
//   free --acquire()--> taken --publish()--> live: resolve() finds it --retire()--> retired:
//   resolve() fails --recycle(), once no pin holds it--> free, under the next generation.
// Pins are references that keep a retired slot from being recycled (the buffer registry's
// requests in flight; the provider's calls on a socket, and the socket's own reference until its
// release): whoever lets go of the last one, or retires a slot no pin holds, recycles.
//
// The table's entries are T, which derives from TableSlot (the state word, the free-list link and
// the index: 16 bytes) and adds what the slot holds. T is default-constructed in place when its
// chunk is added, and destroyed with the table.
#pragma once

#include <rio/free_list.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <type_traits>

namespace riosp::rio {

template <class T, std::uint32_t ChunkSize, std::uint32_t MaxChunks, class Memory> class SlotTable;

// The part of an entry the table owns.
class TableSlot {
public:
    TableSlot() = default;
    TableSlot(const TableSlot&) = delete;
    TableSlot& operator=(const TableSlot&) = delete;

    // Where the slot stands in its table, for the life of the table.
    [[nodiscard]] std::uint32_t slot_index() const noexcept { return index_; }

private:
    template <class, std::uint32_t, std::uint32_t, class> friend class SlotTable;
    std::atomic<std::uint64_t> state_{std::uint64_t{1} << 32}; // generation 1, free
    FreeList::Link next_free_{0};
    std::uint32_t index_ = 0;
};

// Chunk memory from the global operator new (rio's own tables, which are never destroyed).
struct OperatorNewChunks {
    [[nodiscard]] static void* allocate(std::size_t bytes, std::size_t alignment) noexcept {
        if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
            return ::operator new(bytes, std::nothrow);
        return ::operator new (bytes, std::align_val_t{alignment}, std::nothrow);
    }
    static void release(void* chunk, std::size_t alignment) noexcept {
        if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
            ::operator delete(chunk);
        else
            ::operator delete (chunk, std::align_val_t{alignment});
    }
};

template <class T, std::uint32_t ChunkSize, std::uint32_t MaxChunks,
          class Memory = OperatorNewChunks>
class SlotTable {
public:
    using Handle = std::uint64_t;
    static constexpr std::uint32_t capacity = ChunkSize * MaxChunks;
    static_assert(ChunkSize > 0 && MaxChunks > 0 && capacity / ChunkSize == MaxChunks &&
                      capacity < 0xFFFFFFFFU,
                  "an index + 1 must fit the handle's low 32 bits");

    SlotTable() = default;
    SlotTable(const SlotTable&) = delete;
    SlotTable& operator=(const SlotTable&) = delete;
    ~SlotTable() {
        for (auto& c : chunks_) {
            T* chunk = c.load(std::memory_order_relaxed);
            if (chunk == nullptr)
                continue;
            for (std::uint32_t i = 0; i < ChunkSize; ++i)
                chunk[i].~T();
            Memory::release(chunk, alignof(T));
        }
    }

    // A free slot, now taken: the caller fills it, then publishes it. nullptr when the table is
    // full or a new chunk cannot be had. Allocates only when the free list is empty.
    [[nodiscard]] T* acquire() noexcept(std::is_nothrow_default_constructible_v<T>) {
        std::uint32_t index = 0;
        // An index on the free list has its chunk: only published chunks' slots are ever pushed.
        const auto link = [this](std::uint32_t i) -> FreeList::Link& { return slot(i).next_free_; };
        while (!free_.pop(index, link)) {
            // Empty: add a chunk, unless another thread did so while this one waited.
            std::lock_guard lock(grow_mutex_);
            if (!free_.empty())
                continue;
            if (!grow())
                return nullptr;
        }
        T& s = slot(index);
        s.state_.fetch_or(kTaken, std::memory_order_acq_rel);
        in_use_.fetch_add(1, std::memory_order_acq_rel);
        return &s;
    }

    // Makes a taken slot live: resolve() finds it from now on. Release: what the caller wrote
    // into the slot before is visible to whoever resolves the handle.
    Handle publish(T& s) noexcept {
        return handle(s.state_.fetch_or(kLive, std::memory_order_acq_rel), s.index_);
    }

    // The live slot a handle names, or nullptr (never issued, retired, stale, made up).
    [[nodiscard]] T* resolve(Handle h) const noexcept {
        T* s = locate(h);
        return s != nullptr && names(h, s->state_.load(std::memory_order_acquire)) ? s : nullptr;
    }

    // resolve(), and a pin that keeps the slot from being recycled until unpin(). nullptr when h
    // is not live; `full` says it is, but holds the most pins a slot can count.
    [[nodiscard]] T* pin(Handle h, bool& full) noexcept {
        full = false;
        std::uint64_t before = 0;
        return change_live(h, before, [&full](std::uint64_t state) -> std::uint64_t {
            full = (state & kPins) == kPins;
            return full ? 0 : state + 1;
        });
    }
    // Lets go of a pin: true when it was the last one of a retired slot, whose recycling then
    // falls to the caller.
    [[nodiscard]] static bool unpin(T& s) noexcept {
        const std::uint64_t now = s.state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
        return (now & (kLive | kPins)) == 0;
    }

    // Ends the life a handle names: resolve() and pin() fail for it from now on. The slot, or
    // nullptr when h is not live (of two retires of one handle, one wins). `idle`: no pin holds
    // the slot, so the caller recycles it; otherwise the last unpin() says when.
    [[nodiscard]] T* retire(Handle h, bool& idle) noexcept {
        std::uint64_t before = 0;
        T* s = change_live(h, before, [](std::uint64_t state) { return state & ~kLive; });
        if (s != nullptr)
            idle = (before & kPins) == 0;
        return s;
    }
    // For tables that never pin: the slot is the caller's to recycle.
    [[nodiscard]] T* retire(Handle h) noexcept {
        bool idle = true;
        return retire(h, idle);
    }
    // The same from the entry itself, for an owner that knows which slot it holds (a socket at
    // its close). Idempotent.
    static void retire(T& s) noexcept { s.state_.fetch_and(~kLive, std::memory_order_acq_rel); }

    // Returns a retired slot that no pin holds to the free list, under the next generation:
    // every handle of the life that ended is dead for good. No allocation, no lock.
    void recycle(T& s) noexcept {
        // Nobody else writes the state of a retired, unpinned slot (pin and retire need it live).
        std::uint64_t next = ((s.state_.load(std::memory_order_relaxed) >> 32) + 1) & kLow32;
        if (next == 0)
            next = 1; // after 2^32 - 1 lives a generation comes round again, never 0
        s.state_.store(next << 32, std::memory_order_release);
        in_use_.fetch_sub(1, std::memory_order_acq_rel);
        free_.push(s.index_, s.next_free_);
    }

    // The handle of a slot's current life (acquired, live or retired).
    [[nodiscard]] static Handle handle_of(const T& s) noexcept {
        return handle(s.state_.load(std::memory_order_acquire), s.index_);
    }
    [[nodiscard]] static std::uint32_t generation(const T& s) noexcept {
        return static_cast<std::uint32_t>(s.state_.load(std::memory_order_acquire) >> 32);
    }
    [[nodiscard]] static bool is_live(const T& s) noexcept {
        return (s.state_.load(std::memory_order_acquire) & kLive) != 0;
    }
    // The pins holding a slot now (once it is retired the count only falls: nothing pins it).
    [[nodiscard]] static std::uint32_t pins(const T& s) noexcept {
        return static_cast<std::uint32_t>(s.state_.load(std::memory_order_acquire) & kPins);
    }

    // A slot by index: one the caller holds (a pin, or a slot it acquired), or one below the
    // count of slots the table has made (for_each_taken).
    [[nodiscard]] T& slot(std::uint32_t index) const noexcept {
        return chunks_[index / ChunkSize].load(std::memory_order_acquire)[index % ChunkSize];
    }

    // Every slot acquired and not yet recycled, live or retired. `f` must not acquire or recycle.
    template <class F> void for_each_taken(F&& f) {
        const std::uint32_t count = count_.load(std::memory_order_acquire);
        for (std::uint32_t i = 0; i < count; ++i) {
            T& s = slot(i);
            if ((s.state_.load(std::memory_order_acquire) & kTaken) != 0)
                f(s);
        }
    }
    // Slots acquired and not yet recycled.
    [[nodiscard]] std::size_t in_use() const noexcept {
        return in_use_.load(std::memory_order_acquire);
    }

private:
    static constexpr std::uint64_t kLow32 = 0xFFFFFFFFULL;
    static constexpr std::uint64_t kLive = 1ULL << 31;
    static constexpr std::uint64_t kTaken = 1ULL << 30;
    static constexpr std::uint64_t kPins = kTaken - 1;

    [[nodiscard]] static Handle handle(std::uint64_t state, std::uint32_t index) noexcept {
        return (state & ~kLow32) | (std::uint64_t{index} + 1);
    }
    // Whether a state word is the live life a handle names.
    [[nodiscard]] static bool names(Handle h, std::uint64_t state) noexcept {
        return (state >> 32) == (h >> 32) && (state & kLive) != 0;
    }
    // Changes the state word of the live life h names to next(word), by compare-and-swap; next
    // answers 0 (never a state word: generations start at 1) to leave it as it is. The slot, with
    // the word it had, or nullptr when h is not live or next declined.
    template <class Next> T* change_live(Handle h, std::uint64_t& before, Next&& next) noexcept {
        T* s = locate(h);
        if (s == nullptr)
            return nullptr;
        std::uint64_t state = s->state_.load(std::memory_order_acquire);
        std::uint64_t wanted = 0;
        do {
            if (!names(h, state) || (wanted = next(state)) == 0)
                return nullptr;
        } while (!s->state_.compare_exchange_weak(state, wanted, std::memory_order_acq_rel));
        before = state;
        return s;
    }
    // The slot a handle's index names, whatever its life; nullptr outside the table.
    [[nodiscard]] T* locate(Handle h) const noexcept {
        const std::uint64_t low = h & kLow32;
        if (low == 0 || low > capacity)
            return nullptr;
        const auto index = static_cast<std::uint32_t>(low - 1);
        T* chunk = chunks_[index / ChunkSize].load(std::memory_order_acquire);
        return chunk == nullptr ? nullptr : chunk + index % ChunkSize;
    }

    // Under grow_mutex_: one chunk more, its slots linked in index order and pushed at once.
    [[nodiscard]] bool grow() noexcept(std::is_nothrow_default_constructible_v<T>) {
        static_assert(std::is_base_of_v<TableSlot, T>, "entries derive from rio::TableSlot");
        const std::uint32_t count = count_.load(std::memory_order_relaxed);
        if (count == capacity)
            return false;
        void* raw = Memory::allocate(sizeof(T) * ChunkSize, alignof(T));
        if (raw == nullptr)
            return false;
        auto* fresh = static_cast<T*>(raw);
        for (std::uint32_t i = 0; i < ChunkSize; ++i) {
            new (&fresh[i]) T();
            fresh[i].index_ = count + i;
            if (i + 1 < ChunkSize)
                fresh[i].next_free_.store(count + i + 2, std::memory_order_relaxed);
        }
        chunks_[count / ChunkSize].store(fresh, std::memory_order_release);
        count_.store(count + ChunkSize, std::memory_order_release);
        free_.push_chain(count, fresh[ChunkSize - 1].next_free_);
        return true;
    }

    std::array<std::atomic<T*>, MaxChunks> chunks_{};
    std::atomic<std::uint32_t> count_{0}; // slots made so far (whole chunks)
    std::atomic<std::size_t> in_use_{0};
    std::mutex grow_mutex_;
    FreeList free_;
};

} // namespace riosp::rio
