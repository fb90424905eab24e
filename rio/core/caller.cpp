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

// Busy-poll mode: non-blocking attempts for `spin`, so that what arrives meanwhile is taken
// without any wake-up; WSAEWOULDBLOCK when the call must wait after all.
template <class Attempt>
int spin_attempts(std::chrono::microseconds spin, const Wait& wait, Attempt attempt) noexcept {
    int err = wsa::ewouldblock;
    if (spin.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + spin;
        do {
            err = attempt();
        } while (err == wsa::ewouldblock && !wait.interrupted() &&
                 std::chrono::steady_clock::now() < until);
    }
    return err;
}

} // namespace

Result<std::size_t> receive(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                            std::chrono::microseconds spin, Wait& wait, net::Receive how) noexcept {
    std::size_t got = 0;
    int err = spin_attempts(spin, wait, [&] { return net::recv_now(s, parts, got, how); });
    if (err == wsa::ewouldblock)
        err = detail::receive_waiting(s, parts, got, wait, how);
    // 0 bytes after an interruption is the interruption (Linux ends the wait that way).
    err = ended(wait, err == 0 && got == 0 && wait.interrupted() ? wsa::eintr : err);
    return err == 0 ? Result<std::size_t>(got) : Result<std::size_t>::failure(err);
}

Result<net::Datagram> receive_from(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                                   void* win_addr, int* len, std::chrono::microseconds spin,
                                   Wait& wait, net::Receive how) noexcept {
    net::Datagram got;
    int err = spin_attempts(spin, wait,
                            [&] { return net::recv_from_now(s, parts, win_addr, len, got, how); });
    if (err == wsa::ewouldblock)
        err = detail::receive_from_waiting(s, parts, win_addr, len, got, wait, how);
    // Linux ends an interrupted wait with 0 bytes (and no source): the interruption, not an
    // empty datagram, when the Wait says so.
    err = ended(wait, err == 0 && got.bytes == 0 && wait.interrupted() ? wsa::eintr : err);
    return err == 0 ? Result<net::Datagram>(got) : Result<net::Datagram>::failure(err);
}

int accept(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
           Wait& wait) noexcept {
    return ended(wait, detail::accept_waiting(s, out, win_addr, len, wait));
}

int connect(net::NativeSocket s, const void* win_addr, int len, Wait& wait) noexcept {
    return ended(wait, detail::connect_waiting(s, win_addr, len, wait));
}

} // namespace riosp::rio::caller
