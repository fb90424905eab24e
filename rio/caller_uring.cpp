// rio/caller.h's own ring on io_uring: one small ring per thread, created with
// IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN at the thread's first blocking call
// (only that thread ever enters it, and completion work runs when it waits, in its own context)
// and closed when the thread ends. Each call has exactly one request in the ring and waits for
// its completion before returning, so the ring is empty between calls and nothing in it ever
// outlives the buffers or the descriptor it names.
#include <rio/detail_posix.h>

#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

namespace riosp::rio::detail {
namespace {

constexpr unsigned kEntries = 4;

struct ThreadRing {
    io_uring ring{};
    int state = 0; // 0 not tried yet, 1 set up, -1 refused (the thread uses readiness waits)
    ThreadRing() = default;
    ThreadRing(const ThreadRing&) = delete;
    ThreadRing& operator=(const ThreadRing&) = delete;
    ~ThreadRing() {
        if (state == 1)
            io_uring_queue_exit(&ring);
    }
};
thread_local ThreadRing t_ring;

bool ring_ready() noexcept {
    if (t_ring.state == 0) {
        io_uring_params params{};
        params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
        t_ring.state = io_uring_queue_init_params(kEntries, &t_ring.ring, &params) == 0 ? 1 : -1;
    }
    return t_ring.state == 1;
}

// Submits the one prepared request and waits for its completion: cqe->res (>= 0, or -errno).
int run_one() noexcept {
    io_uring* ring = &t_ring.ring;
    int rc = 0;
    do {
        rc = io_uring_submit_and_wait(ring, 1);
    } while (rc == -EINTR && io_uring_sq_ready(ring) > 0);
    if (rc < 0 && io_uring_sq_ready(ring) > 0) {
        // The kernel refused the submission itself (-ENOMEM, -EBUSY ...): the request never
        // reached it and cannot be taken back out of the SQ, so this thread's ring is retired.
        io_uring_queue_exit(ring);
        t_ring.state = -1;
        return rc;
    }
    io_uring_cqe* cqe = nullptr;
    while ((rc = io_uring_wait_cqe(ring, &cqe)) == -EINTR) {
    }
    if (rc < 0)
        return rc;
    const int res = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    return res;
}

Result<std::size_t> receive(net::NativeSocket s,
                            std::span<const net::MutableBytes> parts) noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&t_ring.ring);
    iovec iov[16];
    msghdr msg{};
    if (parts.size() == 1) {
        io_uring_prep_recv(sqe, s, parts[0].data, parts[0].size, 0);
    } else {
        std::size_t n = 0;
        for (const net::MutableBytes& p : parts) {
            if (n == std::size(iov))
                break; // the rest goes with the next call
            iov[n++] = iovec{p.data, p.size};
        }
        msg.msg_iov = iov;
        msg.msg_iovlen = n;
        io_uring_prep_recvmsg(sqe, s, &msg, 0);
    }
    const int res = run_one();
    if (res < 0)
        return Result<std::size_t>::failure(wsa_from_result(res));
    return static_cast<std::size_t>(res);
}

int accept(net::NativeSocket s, net::NativeSocket& out, void* win_addr, int* len) noexcept {
    ::sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    io_uring_sqe* sqe = io_uring_get_sqe(&t_ring.ring);
    // The kernel's accept wait is exclusive: one of the threads blocked on a listener is woken
    // per connection, as a blocking accept(2) does.
    io_uring_prep_accept(sqe, s, reinterpret_cast<::sockaddr*>(&addr), &addr_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
    const int res = run_one();
    if (res < 0)
        return wsa_from_result(res);
    out = res;
    if (win_addr != nullptr && len != nullptr) {
        if (const int err = windows_address(addr, win_addr, len)) {
            ::close(out);
            out = net::invalid_socket;
            return err;
        }
    }
    return 0;
}

} // namespace

const CallerRing uring_caller_ring{ring_ready, receive, accept};

} // namespace riosp::rio::detail
