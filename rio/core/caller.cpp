// rio/caller.h, platform-free: busy-poll attempts, the platform's wait (caller_posix.cpp,
// caller_win.cpp), and the rule that an interruption turns a call that got no result into
// WSAEINTR.
#include <rio/caller.h>
#include <rio/core/detail.h>
#include <rio/wsa_error.h>

namespace riosp::rio::caller {
namespace {

// A result the kernel already gave (bytes, a connection) wins over the interruption.
int ended(const Wait& wait, int err) noexcept {
    return err != 0 && wait.interrupted() ? wsa::eintr : err;
}

} // namespace

Result<std::size_t> receive(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                            std::chrono::microseconds spin, Wait& wait) noexcept {
    std::size_t got = 0;
    int err = wsa::ewouldblock;
    if (spin.count() > 0) {
        // Busy-poll mode: the bytes are taken the moment they arrive, without any wake-up.
        const auto until = std::chrono::steady_clock::now() + spin;
        do {
            err = net::recv_now(s, parts, got);
        } while (err == wsa::ewouldblock && !wait.interrupted() &&
                 std::chrono::steady_clock::now() < until);
    }
    if (err == wsa::ewouldblock)
        err = detail::receive_waiting(s, parts, got, wait);
    // 0 bytes after an interruption is the interruption (Linux ends the wait that way).
    err = ended(wait, err == 0 && got == 0 && wait.interrupted() ? wsa::eintr : err);
    return err == 0 ? Result<std::size_t>(got) : Result<std::size_t>::failure(err);
}

int accept(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
           Wait& wait) noexcept {
    return ended(wait, detail::accept_waiting(s, out, win_addr, len, wait));
}

int connect(net::NativeSocket s, const void* win_addr, int len, Wait& wait) noexcept {
    return ended(wait, detail::connect_waiting(s, win_addr, len, wait));
}

} // namespace riosp::rio::caller
