// Readiness backend, for where io_uring is not allowed: non-blocking send/recv straight into
// the registered regions (a batch of stream sends gathered into one sendmsg). Each request is first
// tried inline by the thread that commits it; what would block is finished by the epoll progress
// thread (one per process), woken by edge-triggered readiness of the RQ's socket. Work on a
// direction always happens under its CQ's lock, so an edge that arrives while a request is being
// queued is never lost: either the inline attempt sees the data, or the progress thread runs after
// the request is visible.
#include <rio/posix/detail_posix.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
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

bool send_stream_now_locked(Dir& d) noexcept {
    // A batch is gathered on the stack (sendmsg would take up to UIO_MAXIOV, 1024).
    constexpr std::size_t kBatch = 64;
    std::array<iovec, kBatch> iov;
    const int fd = d.rq->fd;
    while (d.head < d.committed) {
        std::size_t n = 0;
        std::size_t total = 0;
        for (; n < kBatch && d.head + n < d.committed; ++n) {
            const Slot& s = d.slot(d.head + n);
            iov[n] = iovec{s.data + s.done, s.length - s.done};
            total += s.length - s.done;
        }
        d.submitted = d.head + n; // being worked on
        msghdr msg{};
        msg.msg_iov = iov.data();
        msg.msg_iovlen = n;
        d.cq->syscalls.fetch_add(1, std::memory_order_relaxed);
        constexpr int kFlags = MSG_DONTWAIT | MSG_NOSIGNAL;
        // One request: send(2), which spares the kernel copying a msghdr and an iovec in.
        const ssize_t sent = n == 1 ? ::send(fd, iov[0].iov_base, iov[0].iov_len, kFlags)
                                    : ::sendmsg(fd, &msg, kFlags);
        const int err = errno;
        const std::uint64_t end = d.submitted;
        d.submitted = d.head;
        if (sent < 0) {
            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return false;
            complete_head_locked(d, wsa_from_errno(err), d.slot(d.head).done);
            continue;
        }
        // The stream took `sent` bytes: they belong to the requests in order, and a send
        // completes whole (an empty one at once).
        auto left = static_cast<std::size_t>(sent);
        while (d.head < end) {
            Slot& s = d.slot(d.head);
            const auto take = static_cast<ULONG>(std::min<std::size_t>(left, s.length - s.done));
            s.done += take;
            left -= take;
            if (s.done < s.length)
                break;
            complete_head_locked(d, 0, s.done);
        }
        if (static_cast<std::size_t>(sent) < total)
            return false; // the socket's buffer is full: the rest waits
    }
    return true;
}

void epoll_flush_locked(Dir& d) noexcept {
    if (d.rq->datagram) {
        epoll_flush_datagrams_locked(d);
        return;
    }
    if (d.is_send) {
        (void)send_stream_now_locked(d); // what would block resumes at the next edge
        return;
    }
    const int fd = d.rq->fd;
    while (d.head < d.committed) {
        Slot& s = d.slot(d.head);
        d.submitted = d.head + 1; // the head is being worked on
        d.cq->syscalls.fetch_add(1, std::memory_order_relaxed);
        const ssize_t n = ::recv(fd, s.data + s.done, s.length - s.done, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return; // the next edge resumes here
            complete_head_locked(d, wsa_from_errno(errno), s.done);
            continue;
        }
        s.done += static_cast<ULONG>(n);
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
