// Linux: what core/ asks of a CQ's backend (core/detail.h), dispatched to io_uring
// (backend_uring.cpp) or epoll (backend_epoll.cpp), plus the eventfd that RIONotify signals.
#include <rio/posix/detail_posix.h>

#include <riosp/event_handle.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace riosp::rio {
namespace detail {
namespace {
bool uses_uring(const Cq& cq) noexcept {
    return cq.backend == Backend::uring;
}
} // namespace

Backend choose_backend() noexcept {
    const UringProbe& probe = uring_probe();
    const char* forced = std::getenv("RIOSP_RIO_BACKEND");
    Backend chosen = Backend::epoll;
    char why[256];
    if (forced != nullptr && std::strcmp(forced, "epoll") == 0) {
        std::snprintf(why, sizeof why, "forced by RIOSP_RIO_BACKEND=epoll");
    } else if (forced != nullptr &&
               (std::strcmp(forced, "uring") == 0 || std::strcmp(forced, "io_uring") == 0)) {
        if (probe.ok) {
            chosen = Backend::uring;
            std::snprintf(why, sizeof why, "forced by RIOSP_RIO_BACKEND=%s", forced);
        } else {
            std::snprintf(why, sizeof why, "RIOSP_RIO_BACKEND=%s but %s", forced, probe.why);
        }
    } else {
        if (forced != nullptr && *forced != '\0')
            std::fprintf(stderr, "riosp: RIOSP_RIO_BACKEND=%s not understood (uring|epoll)\n",
                         forced);
        if (probe.ok) {
            chosen = Backend::uring;
            std::snprintf(why, sizeof why, "probed");
        } else {
            std::snprintf(why, sizeof why, "%s", probe.why);
        }
    }
    std::fprintf(stderr, "riosp: rio backend %s (%s)\n", backend_name(chosen), why);
    return chosen;
}

bool platform_backend_available(Backend backend) noexcept {
    return backend == Backend::epoll || (backend == Backend::uring && uring_probe().ok);
}

bool single_owner_supported(Backend backend) noexcept {
    return backend == Backend::uring && uring_probe().single_owner_ok;
}

int socket_kind(net::NativeSocket s, bool& datagram) noexcept {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return wsa_from_errno(errno == EBADF ? ENOTSOCK : errno);
    datagram = type == SOCK_DGRAM;
    return type == SOCK_STREAM || datagram ? 0 : wsa::eopnotsupp;
}

int open_notification(Cq& cq, const CqOptions& options) noexcept {
    // No IOCP on Linux: refusing is honest; an emulation would hide a port that nothing else
    // in the process could wait on.
    if (cq.notification.Type != RIO_EVENT_COMPLETION)
        return wsa::einval;
    cq.event_fd = fd_from_event_handle(cq.notification.Event.EventHandle);
    if (cq.event_fd < 0)
        return wsa::einval;
    if (options.backend == Backend::uring && options.single_owner)
        return wsa::einval; // nobody but the owner may reap the ring
    return 0;
}

void signal_event(Cq& cq) noexcept {
    if (uses_uring(cq) && uring_notify_signal_locked(cq))
        return; // armed in the kernel, which signals it
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(cq.event_fd, &one, sizeof one);
}

void reset_event(Cq& cq) noexcept {
    // Manual-reset semantics: the eventfd stays readable until someone reads it. Only read when
    // readable, because the application's eventfd may be blocking.
    pollfd p{cq.event_fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) {
        std::uint64_t value = 0;
        [[maybe_unused]] auto n = ::read(cq.event_fd, &value, sizeof value);
    }
}

bool can_wait(const Cq& cq) noexcept {
    return cq.has_notification;
}

int backend_open(Cq& cq) noexcept {
    if (uses_uring(cq)) {
        if (int err = uring_create(cq); err != 0)
            return err;
    }
    if (!cq.single_owner) // single-owner rings are only reaped by their owner: no thread
        ProgressThread::instance(cq.backend).retain();
    return 0;
}

void backend_close(Cq& cq) noexcept {
    if (uses_uring(cq)) {
        uring_notify_close(cq);
        uring_destroy(cq);
    }
    if (!cq.single_owner) // the last CQ of its backend stops the progress thread
        ProgressThread::instance(cq.backend).release();
}

bool backend_may_complete(Cq& cq) noexcept {
    if (uses_uring(cq))
        return uring_maybe_ready(cq); // nothing in the kernel CQ: no lock, no syscall
    // Readiness backend: do the I/O that is ready here rather than wait for the progress thread
    // to be scheduled (one thread hop less per completion).
    ProgressThread::instance(Backend::epoll).poll_once();
    return cq.queued.load(std::memory_order_relaxed) != 0;
}

void backend_reap_locked(Cq& cq) noexcept {
    if (uses_uring(cq))
        uring_reap_locked(cq);
}

void backend_arm_locked(Cq& cq) noexcept {
    // RIONotify: in the kernel where the rules allow (uring_notify.cpp), else the progress
    // thread watches the ring.
    if (uses_uring(cq) && !uring_notify_arm_locked(cq))
        uring_arm_locked(cq);
}

void backend_commit_locked(Dir& d) noexcept {
    if (uses_uring(*d.cq)) {
        uring_commit_locked(d);
    } else {
        d.cq->submits.fetch_add(1, std::memory_order_relaxed);
        epoll_flush_locked(d);
    }
}

void backend_cancel_locked(Dir& d) noexcept {
    if (uses_uring(*d.cq))
        uring_cancel_locked(d);
    else
        cancel_pending_locked(d);
}

void backend_wait_begin_locked(Cq& cq) noexcept {
    if (!uses_uring(cq))
        return;
    ++cq.ring_waiters; // the ring is watched by the waiting thread, not the progress thread
    (void)uring_notify_disarm_locked(cq); // had it fired, the event says so to the sleep
}

void backend_sleep(Cq& cq, int timeout_ms) noexcept {
    // Completions queued by other threads (their dequeue or an RQ's teardown reaps the ring too)
    // signal the event; the kernel's own show on the ring descriptor.
    const bool ring = uses_uring(cq);
    pollfd fds[2] = {{cq.event_fd, POLLIN, 0}, {ring ? uring_ring_fd(cq) : -1, POLLIN, 0}};
    if (::poll(fds, ring ? 2 : 1, timeout_ms) > 0 && (fds[0].revents & POLLIN) != 0)
        reset_event(cq);
}

void backend_wait_end_locked(Cq& cq) noexcept {
    if (uses_uring(cq))
        --cq.ring_waiters;
}

int backend_attach(Rq& rq) noexcept {
    return uses_uring(*rq.recv.cq) ? uring_attach(rq) : epoll_attach(rq);
}

void backend_pause(Cq& cq) noexcept {
    if (uses_uring(cq))
        (void)uring_wait(cq, 5); // until the ring has a completion, at most 5 ms
}

void backend_detach(Rq& rq) noexcept {
    if (uses_uring(*rq.recv.cq))
        uring_detach(rq);
    else
        epoll_detach(rq); // the progress thread no longer touches rq after this
}

void backend_forget_buffer(std::uint32_t index) noexcept {
    uring_forget_buffer(index);
}

std::size_t backend_fixed_buffers(const Cq& cq) noexcept {
    return uses_uring(cq) ? uring_fixed_buffers(cq) : 0;
}

int backend_resize_cq(Cq&, DWORD) noexcept {
    return 0; // io_uring's CQ ring overflows into the kernel (IORING_FEAT_NODROP); epoll has none
}

int backend_resize_rq(Rq&, ULONG, ULONG) noexcept {
    return 0;
}

} // namespace detail

namespace testing {
bool uring_send_takes_fixed_buffers() noexcept {
    return detail::uring_probe().send_fixed_ok;
}
std::uint64_t progress_thread_dispatches(Backend backend) noexcept {
    return backend == Backend::uring || backend == Backend::epoll
               ? detail::ProgressThread::instance(backend).dispatched()
               : 0;
}
} // namespace testing

} // namespace riosp::rio
