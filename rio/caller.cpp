// rio/caller.h, platform-free: busy-poll attempts, then the calling thread's own ring where the
// platform has one (detail::caller_ring), else the readiness path: a non-blocking attempt, the
// caller's own wait, the attempt again.
#include <rio/caller.h>
#include <rio/detail.h>
#include <rio/wsa_error.h>

namespace riosp::rio::caller {
namespace {

using Clock = std::chrono::steady_clock;

// A call that ended without its result because of the interruption says so (WSAEINTR); a
// result the kernel already gave (bytes, an accepted connection) wins over it.
Result<std::size_t> ended(const Wait& wait, Result<std::size_t> r) noexcept {
    if (wait.interrupted() && (!r.ok() || r.value() == 0))
        return Result<std::size_t>::failure(wsa::eintr);
    return r;
}

const detail::CallerRing* own_ring() noexcept {
    const detail::CallerRing* ring = detail::caller_ring();
    return ring != nullptr && ring->ready() ? ring : nullptr;
}

} // namespace

Result<std::size_t> receive(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                            std::chrono::microseconds spin, Wait& wait) noexcept {
    std::size_t got = 0;
    if (spin.count() > 0) {
        // Busy-poll mode: the bytes are taken the moment they arrive, without any wake-up.
        const auto until = Clock::now() + spin;
        do {
            const int err = net::recv_now(s, parts, got);
            if (err != wsa::ewouldblock)
                return ended(wait, err == 0 ? Result<std::size_t>(got)
                                            : Result<std::size_t>::failure(err));
        } while (!wait.interrupted() && Clock::now() < until);
    }
    if (const detail::CallerRing* ring = own_ring())
        return ended(wait, ring->receive(s, parts));
    for (;;) {
        const int err = net::recv_now(s, parts, got);
        if (err != wsa::ewouldblock)
            return ended(wait,
                         err == 0 ? Result<std::size_t>(got) : Result<std::size_t>::failure(err));
        if (wait.interrupted())
            return Result<std::size_t>::failure(wsa::eintr);
        const int ready = net::wait_readable(s, wait_slice_ms);
        if (ready != 0 && ready != wsa::etimedout)
            return Result<std::size_t>::failure(ready);
    }
}

int accept(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
           Wait& wait) noexcept {
    if (const detail::CallerRing* ring = own_ring()) {
        const int err = ring->accept(s, out, win_addr, len);
        return err != 0 && wait.interrupted() ? wsa::eintr : err;
    }
    for (;;) {
        const int err = net::accept(s, out, win_addr, len);
        if (err != wsa::ewouldblock)
            return err != 0 && wait.interrupted() ? wsa::eintr : err;
        if (wait.interrupted())
            return wsa::eintr;
        const int ready = net::wait_acceptable(s, wait_slice_ms);
        if (ready != 0 && ready != wsa::etimedout)
            return ready;
    }
}

bool uses_own_ring() noexcept {
    return own_ring() != nullptr;
}

} // namespace riosp::rio::caller
