// A socket's operations waiting in one direction (overlapped ones, and blocking ones queued
// behind them), oldest first.
//
// Why this shape: IOCP servers keep many receives or sends in flight per socket, so the depth
// must not be a small fixed number; but the disconnect paths must never allocate, and neither
// should a server's steady state. The queue starts without storage (most sockets never queue
// an operation: their calls finish in the caller) and doubles when a push finds it full, up to
// max_capacity per direction (WSAENOBUFS beyond, documented in the README). Growing happens
// only in a send or receive call that queues an operation — the disconnect paths only pop —
// and the storage stays with the socket object across its lives, so once a socket object has
// needed a depth, reaching it again allocates nothing.
#pragma once

#include "pending_op.h"

#include <cstdint>

namespace riosp::provider {

class OpQueue {
public:
    static constexpr std::uint32_t first_capacity = 32;
    static constexpr std::uint32_t max_capacity = 4096;

    OpQueue() = default;
    ~OpQueue();
    OpQueue(const OpQueue&) = delete;
    OpQueue& operator=(const OpQueue&) = delete;

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
    [[nodiscard]] PendingOp& front() noexcept { return items_[head_]; }
    // Room for one more push: 0, or WSAENOBUFS (max_capacity reached, or no memory).
    [[nodiscard]] int reserve_one() noexcept;
    // The new back element, reset for the caller to fill; reserve_one() must have said 0. The
    // reference stays valid until the next push (a push may move the elements).
    [[nodiscard]] PendingOp& push() noexcept {
        PendingOp& slot = items_[(head_ + size_) % capacity_];
        ++size_;
        slot = PendingOp{};
        return slot;
    }
    void pop() noexcept {
        head_ = (head_ + 1) % capacity_;
        --size_;
    }
    // Drops every element; the storage stays.
    void clear() noexcept {
        head_ = 0;
        size_ = 0;
    }

private:
    PendingOp* items_ = nullptr;
    std::uint32_t capacity_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
};

} // namespace riosp::provider
