// A byte ring over a fixed region: the socket's send and receive staging areas inside its
// registered buffer. Positions grow monotonically (64-bit, never wrap in practice); the region
// offset is position % capacity. Not synchronized: the owning socket's mutex guards it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace riosp::provider {

class ByteRing {
public:
    void reset(std::uint32_t capacity) noexcept {
        capacity_ = capacity;
        head_ = tail_ = 0;
    }
    [[nodiscard]] std::uint32_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] std::uint32_t used() const noexcept {
        return static_cast<std::uint32_t>(tail_ - head_);
    }
    [[nodiscard]] std::uint32_t free() const noexcept { return capacity_ - used(); }
    [[nodiscard]] bool empty() const noexcept { return head_ == tail_; }

    // Contiguous readable bytes starting `skip` bytes past head (the oldest data); skip < used()
    // unless the run is empty.
    [[nodiscard]] std::uint32_t read_offset(std::uint32_t skip = 0) const noexcept {
        return offset(head_ + skip);
    }
    [[nodiscard]] std::uint32_t readable_run(std::uint32_t skip = 0) const noexcept {
        return std::min(used() - skip, capacity_ - offset(head_ + skip));
    }
    // Contiguous writable bytes starting at tail.
    [[nodiscard]] std::uint32_t write_offset() const noexcept { return offset(tail_); }
    [[nodiscard]] std::uint32_t writable_run() const noexcept {
        return std::min(free(), capacity_ - offset(tail_));
    }
    void produce(std::uint32_t n) noexcept { tail_ += n; }
    void consume(std::uint32_t n) noexcept { head_ += n; }

private:
    [[nodiscard]] std::uint32_t offset(std::uint64_t pos) const noexcept {
        return static_cast<std::uint32_t>(pos % capacity_);
    }
    std::uint32_t capacity_ = 0;
    std::uint64_t head_ = 0;
    std::uint64_t tail_ = 0;
};

} // namespace riosp::provider
