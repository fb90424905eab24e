// Readiness backend, for where io_uring is not allowed: non-blocking send/recv straight into
// the registered regions. Each request is first tried inline by the thread that commits it;
// what would block is finished by the epoll progress thread (one per process), woken by
// edge-triggered readiness of the RQ's socket. Work on a direction always happens under its
// CQ's lock, so an edge that arrives while a request is being queued is never lost: either the
// inline attempt sees the data, or the progress thread runs after the request is visible.
#include <rio/posix/detail_posix.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

namespace riosp::rio::detail {

int epoll_attach(Rq& rq) noexcept {
    // Edge-triggered: no wake-ups while the application has nothing posted.
    rq.poll_token = ProgressThread::instance(Backend::epoll)
                        .add(rq.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &rq);
    return rq.poll_token != 0 ? 0 : wsa_from_errno(errno != 0 ? errno : ENOMEM);
}

void epoll_detach(Rq& rq) noexcept {
    ProgressThread::instance(Backend::epoll).remove(rq.fd, rq.poll_token);
    rq.poll_token = 0;
}

void epoll_flush_locked(Dir& d) noexcept {
    if (d.rq->datagram) {
        epoll_flush_datagrams_locked(d);
        return;
    }
    const int fd = d.rq->fd;
    while (d.head < d.committed) {
        Slot& s = d.slot(d.head);
        d.submitted = d.head + 1; // the head is being worked on
        ssize_t n = 0;
        d.cq->syscalls.fetch_add(1, std::memory_order_relaxed);
        if (d.is_send)
            n = ::send(fd, s.data + s.done, s.length - s.done, MSG_DONTWAIT | MSG_NOSIGNAL);
        else
            n = ::recv(fd, s.data + s.done, s.length - s.done, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return; // the next edge resumes here
            complete_head_locked(d, wsa_from_errno(errno), s.done);
            continue;
        }
        s.done += static_cast<ULONG>(n);
        if (d.is_send) {
            if (s.done == s.length) // a send completes whole, like RIOSend
                complete_head_locked(d, 0, s.done);
            continue;
        }
        // n == 0 is the peer's FIN (or an empty buffer): complete with what we have.
        if (n == 0 || (s.flags & RIO_MSG_WAITALL) == 0 || s.done == s.length)
            complete_head_locked(d, 0, s.done);
    }
}

void epoll_on_ready(Rq& rq) noexcept {
    for (Dir* d : {&rq.recv, &rq.send}) {
        std::lock_guard lock(d->cq->mu);
        epoll_flush_locked(*d);
    }
}

} // namespace riosp::rio::detail
