// io_uring: what this kernel's rings can do, probed once at first use (kernel 6.18 with
// liburing 2.3 headers here: nothing is assumed). backends_posix.cpp chooses the backend from
// it; backend_uring.cpp sets its rings up from it.
#include <rio/posix/detail_posix.h>

#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace riosp::rio::detail {

namespace {

const char* errno_name(int err) noexcept {
    const char* name = ::strerrorname_np(err);
    return name != nullptr ? name : "unknown error";
}

// Whether IORING_OP_SEND accepts a registered buffer (IORING_RECVSEND_FIXED_BUF): one send
// of one byte from a registered buffer over a socketpair. Kernel 6.18 answers EINVAL; SEND_ZC
// takes fixed buffers but completes after the peer's ACK and halves loopback throughput, and
// WRITE_FIXED raises SIGPIPE on a reset connection, so neither stands in for it.
bool probe_send_fixed() noexcept {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return false;
    bool ok = false;
    io_uring ring{};
    if (io_uring_queue_init(2, &ring, 0) == 0) {
        char byte = 'x';
        iovec iov{&byte, 1};
        io_uring_cqe* cqe = nullptr;
        if (io_uring_register_buffers(&ring, &iov, 1) == 0) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring);
            io_uring_prep_send(sqe, sv[0], &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            sqe->ioprio |= IORING_RECVSEND_FIXED_BUF;
            sqe->buf_index = 0;
            if (io_uring_submit_and_wait(&ring, 1) == 1 && io_uring_peek_cqe(&ring, &cqe) == 0)
                ok = cqe->res == 1;
        }
        io_uring_queue_exit(&ring);
    }
    ::close(sv[0]);
    ::close(sv[1]);
    return ok;
}

UringProbe run_probe() noexcept {
    UringProbe p;
    io_uring ring{};
    io_uring_params params{};
    // The largest ring a CQ asks for, not a token one: where memory is short, or RLIMIT_MEMLOCK
    // is (kernels before 5.12 charge rings to it), a small ring works and a CQ's does not, and
    // choosing io_uring then fails every CQ.
    int rc = uring_setup_largest_ring(ring, params);
    if (rc < 0) {
        char hint[128] = "";
        if (-rc == EPERM || -rc == EACCES)
            std::snprintf(hint, sizeof hint, " — blocked by seccomp or kernel.io_uring_disabled?");
        else if (-rc == ENOSYS)
            std::snprintf(hint, sizeof hint, " — kernel without io_uring");
        else if (-rc == ENOMEM)
            std::snprintf(hint, sizeof hint,
                          " for a ring of %u completions — memory short, or RLIMIT_MEMLOCK "
                          "before Linux 5.12?",
                          max_cq_ring_entries);
        else if (-rc == EINVAL)
            std::snprintf(hint, sizeof hint, " — kernel before 5.18 (IORING_SETUP_SUBMIT_ALL)?");
        std::snprintf(p.why, sizeof p.why, "io_uring_setup: %s%s", errno_name(-rc), hint);
        return p;
    }
    bool ops = false;
    if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
        ops = io_uring_opcode_supported(probe, IORING_OP_SEND) &&
              io_uring_opcode_supported(probe, IORING_OP_RECV) &&
              io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
        io_uring_free_probe(probe);
    }
    const bool nodrop = (params.features & IORING_FEAT_NODROP) != 0;
    io_uring_queue_exit(&ring);
    if (!ops || !nodrop) {
        std::snprintf(p.why, sizeof p.why, "io_uring lacks %s",
                      !ops ? "send/recv/cancel opcodes" : "IORING_FEAT_NODROP");
        return p;
    }
    p.ok = true;
    p.send_fixed_ok = probe_send_fixed();
    // Each flag of a single-owner ring on its own: a kernel without one still gets the others.
    auto owner_ring_takes = [&ring](unsigned extra) {
        io_uring_params so{};
        so.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | extra;
        if (io_uring_queue_init_params(4, &ring, &so) != 0)
            return false;
        io_uring_queue_exit(&ring);
        return true;
    };
    io_uring_params coop{};
    coop.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    if (io_uring_queue_init_params(4, &ring, &coop) == 0) {
        p.coop_taskrun_ok = true;
        io_uring_queue_exit(&ring);
    }
    p.single_owner_ok = owner_ring_takes(0);
    p.owner_taskrun_flag_ok = p.single_owner_ok && owner_ring_takes(IORING_SETUP_TASKRUN_FLAG);
    p.owner_r_disabled_ok = p.single_owner_ok && owner_ring_takes(IORING_SETUP_R_DISABLED);
    return p;
}

} // namespace

const UringProbe& uring_probe() noexcept {
    static const UringProbe probe = run_probe();
    return probe;
}

} // namespace riosp::rio::detail
