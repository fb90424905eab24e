// rio/caller.h's waits on Windows: base sockets are non-blocking, so a call tries at once, then
// waits for readiness in the calling thread (WSAPoll) in slices, because Winsock has no call that
// ends another thread's wait without closing the socket, and looks at its Wait between them.
#include <rio/caller.h>
#include <rio/core/detail.h>
#include <rio/wsa_error.h>

namespace riosp::rio::detail {
namespace {

// `attempt` (a non-blocking call on `s`) until it does not answer WSAEWOULDBLOCK, waiting for
// readability in slices in between.
template <class Attempt>
int until_ready(net::NativeSocket s, const caller::Wait& wait, Attempt attempt) noexcept {
    for (;;) {
        const int err = attempt();
        if (err != wsa::ewouldblock)
            return err;
        if (wait.interrupted())
            return wsa::eintr;
        const int ready = net::wait_readable(s, caller::wait_slice_ms);
        if (ready != 0 && ready != wsa::etimedout)
            return ready;
    }
}

} // namespace

int receive_waiting(net::NativeSocket s, std::span<const net::MutableBytes> parts, std::size_t& got,
                    const caller::Wait& wait, net::Receive how) noexcept {
    return until_ready(s, wait, [&] { return net::recv_now(s, parts, got, how); });
}

int receive_from_waiting(net::NativeSocket s, std::span<const net::MutableBytes> parts,
                         void* win_addr, int* len, net::Datagram& got, const caller::Wait& wait,
                         net::Receive how) noexcept {
    return until_ready(s, wait,
                       [&] { return net::recv_from_now(s, parts, win_addr, len, got, how); });
}

int accept_waiting(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
                   const caller::Wait& wait) noexcept {
    return until_ready(s, wait, [&] { return net::accept(s, out, win_addr, len); });
}

int connect_waiting(net::NativeSocket s, const void* win_addr, int len,
                    const caller::Wait& wait) noexcept {
    int err = net::connect(s, win_addr, len);
    while (err == wsa::ewouldblock) { // in progress
        if (wait.interrupted())
            return wsa::eintr;
        const int ready = net::wait_writable(s, caller::wait_slice_ms);
        if (ready == 0)
            err = net::connect_result(s);
        else if (ready != wsa::etimedout)
            err = ready;
    }
    return err;
}

} // namespace riosp::rio::detail
