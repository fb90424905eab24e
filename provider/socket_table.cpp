#include "socket_table.h"

#include "heap.h"
#include "socket.h"

#include <gsl/gsl>

namespace riosp::provider {

void* SocketTable::Slabs::allocate(std::size_t bytes, std::size_t alignment) noexcept {
    return heap::allocate_slab(bytes, alignment);
}

void SocketTable::Slabs::release(void* slab, std::size_t) noexcept {
    heap::release(slab);
}

SocketTable::SocketTable() = default;
SocketTable::~SocketTable() = default;

Socket* SocketTable::acquire() {
    Socket* s = table_.acquire();
    if (s == nullptr)
        return nullptr;
    if (table_.in_use() > limit_.load(std::memory_order_relaxed)) { // never live: back at once
        table_.recycle(*s);
        return nullptr;
    }
    const Table::Handle h = table_.publish(*s);
    // Nobody else has the handle yet: both pins are taken at once.
    for (int i = 0; i < 2; ++i) {
        bool full = false;
        Socket* pinned = table_.pin(h, full);
        Ensures(pinned == s);
    }
    return s;
}

void SocketTable::set_limit(std::uint32_t limit) noexcept {
    Expects(limit >= 1 && limit <= capacity);
    limit_.store(limit, std::memory_order_relaxed);
}

Socket* SocketTable::pin(DWORD_PTR context) noexcept {
    bool full = false;
    return table_.pin(static_cast<Table::Handle>(context), full);
}

void SocketTable::unpin(Socket& s) noexcept {
    if (Table::unpin(s))
        table_.recycle(s);
}

void SocketTable::retire(Socket& s) noexcept {
    // At close: every context captured before can never match again, even after the slot's
    // next life begins (recycle moves the generation on).
    Table::retire(s);
}

void SocketTable::release(Socket& s) noexcept {
    Expects(!is_live(s));
    unpin(s);
}

bool SocketTable::is_live(const Socket& s) noexcept {
    return Table::is_live(s);
}

std::uint32_t SocketTable::pins(const Socket& s) noexcept {
    return Table::pins(s);
}

void SocketTable::for_each_in_use(void (*f)(Socket&)) {
    table_.for_each_taken(f);
}

DWORD_PTR SocketTable::context_of(const Socket& s) noexcept {
    return static_cast<DWORD_PTR>(Table::handle_of(s));
}

} // namespace riosp::provider
