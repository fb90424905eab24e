// A FIFO of at most N elements stored inline: the per-socket queues of pending operations.
// Inline storage is what keeps the socket's hot and disconnect paths allocation-free.
#pragma once

#include <array>
#include <cstddef>

namespace riosp::provider {

template <typename T, std::size_t N> class FixedQueue {
public:
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] bool full() const noexcept { return size_ == N; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] T& front() noexcept { return items_[head_]; }
    // Returns the new back element for the caller to fill; callers check full() first.
    [[nodiscard]] T& push() noexcept {
        T& slot = items_[(head_ + size_) % N];
        ++size_;
        slot = T{};
        return slot;
    }
    void pop() noexcept {
        head_ = (head_ + 1) % N;
        --size_;
    }

private:
    std::array<T, N> items_{};
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace riosp::provider
