#include "op_queue.h"

#include "heap.h"

#include <riosp/spi.h>

#include <algorithm>
#include <memory>
#include <new>

namespace riosp::provider {

OpQueue::~OpQueue() {
    if (items_ != nullptr) {
        std::destroy_n(items_, capacity_);
        heap::release(items_);
    }
}

int OpQueue::reserve_one() noexcept {
    if (size_ < capacity_)
        return 0;
    if (capacity_ == max_capacity)
        return WSAENOBUFS;
    const std::uint32_t grown =
        capacity_ == 0 ? first_capacity : std::min(2 * capacity_, max_capacity);
    void* raw = heap::allocate_slab(sizeof(PendingOp) * grown, alignof(PendingOp));
    if (raw == nullptr)
        return WSAENOBUFS;
    auto* items = static_cast<PendingOp*>(raw);
    std::uninitialized_value_construct_n(items, grown);
    for (std::uint32_t i = 0; i < size_; ++i) // oldest first, from index 0
        items[i] = items_[(head_ + i) % capacity_];
    if (items_ != nullptr) {
        std::destroy_n(items_, capacity_);
        heap::release(items_);
    }
    items_ = items;
    capacity_ = grown;
    head_ = 0;
    return 0;
}

} // namespace riosp::provider
