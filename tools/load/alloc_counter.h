// Counts heap allocations made by the calling thread inside a scope: riosp-load wraps every
// disconnect call (WSASendDisconnect, the linger option, closesocket) in one, so the summary
// shows whether the disconnect paths allocate. The malloc family is interposed (forwarding to
// glibc); sanitizer builds own malloc, so there the counter is unavailable and reports say so.
#pragma once

#include <cstdint>

namespace riosp::load::alloc {

[[nodiscard]] bool available() noexcept;

class Scope {
public:
    Scope() noexcept;
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    // Allocations by this thread since the scope opened.
    [[nodiscard]] std::uint64_t count() const noexcept;

private:
    std::uint64_t start_;
    bool outer_;
};

} // namespace riosp::load::alloc
