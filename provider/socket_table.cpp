#include "socket_table.h"

#include "heap.h"
#include "socket.h"

#include <new>

#include <gsl/gsl>

namespace riosp::provider {

SocketTable::SocketTable() : chunks_(std::make_unique<std::atomic<Socket*>[]>(max_chunks)) {}

SocketTable::~SocketTable() {
    for (std::uint32_t c = 0; c < max_chunks; ++c) {
        Socket* chunk = chunks_[c].load(std::memory_order_relaxed);
        if (chunk == nullptr)
            continue;
        for (std::uint32_t i = 0; i < chunk_size; ++i)
            chunk[i].~Socket();
        heap::release(chunk);
    }
}

Socket* SocketTable::slot(std::uint32_t index) const noexcept {
    Socket* chunk = chunks_[index / chunk_size].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : chunk + index % chunk_size;
}

bool SocketTable::is_live(const Socket& s) noexcept {
    return s.live.load(std::memory_order_acquire);
}

Socket* SocketTable::acquire() {
    std::uint32_t index = 0;
    // An index on the free list has its chunk: only published chunks' slots are ever pushed.
    const auto link = [this](std::uint32_t i) -> rio::FreeList::Link& {
        Socket* s = slot(i);
        Ensures(s != nullptr);
        return s->next_free;
    };
    while (!free_.pop(index, link)) {
        // Empty: add a chunk, unless another thread did so while this one waited for the lock.
        std::lock_guard lock(grow_mutex_);
        if (!free_.empty())
            continue;
        const std::uint32_t count = count_.load(std::memory_order_relaxed);
        const std::uint32_t chunk = count / chunk_size;
        if (chunk >= max_chunks)
            return nullptr;
        void* raw = heap::allocate_slab(sizeof(Socket) * chunk_size, alignof(Socket));
        if (raw == nullptr)
            return nullptr;
        auto* fresh = static_cast<Socket*>(raw);
        for (std::uint32_t i = 0; i < chunk_size; ++i) {
            new (&fresh[i]) Socket();
            fresh[i].index = count + i;
            if (i + 1 < chunk_size)
                fresh[i].next_free.store(count + i + 2, std::memory_order_relaxed);
        }
        chunks_[chunk].store(fresh, std::memory_order_release);
        count_.store(count + chunk_size, std::memory_order_release);
        free_.push_chain(count, fresh[chunk_size - 1].next_free);
    }
    Socket* s = slot(index);
    s->in_use.store(true, std::memory_order_release);
    in_use_count_.fetch_add(1, std::memory_order_acq_rel);
    s->generation.fetch_add(1, std::memory_order_acq_rel);
    s->live.store(true, std::memory_order_release);
    return s;
}

void SocketTable::retire(Socket& s) noexcept {
    // A new generation at close: every context captured before can never match again, even
    // after the slot's next life begins.
    s.live.store(false, std::memory_order_release);
    s.generation.fetch_add(1, std::memory_order_acq_rel);
}

void SocketTable::recycle(Socket* s) noexcept {
    Expects(s != nullptr);
    s->in_use.store(false, std::memory_order_release);
    in_use_count_.fetch_sub(1, std::memory_order_acq_rel);
    free_.push(s->index, s->next_free);
}

void SocketTable::for_each_in_use(void (*f)(Socket&)) {
    std::uint32_t count = count_.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i < count; ++i)
        if (Socket* s = slot(i); s->in_use.load(std::memory_order_acquire))
            f(*s);
}

DWORD_PTR SocketTable::context_of(const Socket& s) noexcept {
    return (static_cast<DWORD_PTR>(s.generation.load(std::memory_order_acquire)) << 32) | s.index;
}

Socket* SocketTable::resolve(DWORD_PTR context) const noexcept {
    auto index = static_cast<std::uint32_t>(context & 0xffffffffu);
    auto generation = static_cast<std::uint32_t>(context >> 32);
    if (index >= count_.load(std::memory_order_acquire))
        return nullptr;
    Socket* s = slot(index);
    if (s == nullptr || !is_live(*s) || s->generation.load(std::memory_order_acquire) != generation)
        return nullptr;
    return s;
}

} // namespace riosp::provider
