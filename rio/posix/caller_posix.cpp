// rio/caller.h's waits on Linux: the socket is in blocking mode, so each is the plain blocking
// system call, one wake-up from the kernel. A signal (EINTR) resumes the wait unless the call
// was interrupted on purpose (rio::net::interrupt_waits ends the kernel wait without a signal).
#include <rio/caller.h>
#include <rio/posix/detail_posix.h>

namespace riosp::rio::detail {

int receive_waiting(net::NativeSocket s, std::span<const net::MutableBytes> parts, std::size_t& got,
                    const caller::Wait& wait, net::Receive how) noexcept {
    int err = 0;
    do {
        err = recv_blocking(s, parts, got, how);
    } while (err == wsa::eintr && !wait.interrupted());
    return err;
}

int accept_waiting(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len,
                   const caller::Wait& wait) noexcept {
    int err = 0;
    do {
        err = net::accept(s, out, win_addr, len);
    } while (err == wsa::eintr && !wait.interrupted());
    return err;
}

int connect_waiting(net::NativeSocket s, const void* win_addr, int len,
                    const caller::Wait& wait) noexcept {
    int err = net::connect(s, win_addr, len);
    // After a signal the attempt goes on in the kernel: wait for its outcome.
    while (err == wsa::eintr && !wait.interrupted()) {
        err = net::wait_writable(s, -1);
        if (err == 0)
            err = net::connect_result(s);
    }
    return err;
}

} // namespace riosp::rio::detail
