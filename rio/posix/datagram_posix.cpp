// Datagram request queues on Linux, for both backends: each request is one sendmsg / recvmsg
// (io_uring: IORING_OP_SENDMSG / IORING_OP_RECVMSG, epoll: the calls with MSG_DONTWAIT), so a
// send is one datagram and a receive takes one, never more. Receives ask for MSG_TRUNC: the
// kernel then answers with the datagram's real length, which is how a datagram larger than the
// buffer is told apart on both backends (the bytes past the buffer are gone, as on Windows).
#include <rio/posix/detail_posix.h>
#include <rio/posix/sockaddr_posix.h>

#include <cerrno>
#include <cstring>

namespace riosp::rio::detail {
namespace {

// The receive's source into its slice (at least a SOCKADDR_INET: checked at post), zeroed
// first so that an IPv4 source leaves no stale bytes; a source that is neither IPv4 nor IPv6
// (an unnamed AF_UNIX peer) is reported as family 0.
void report_source(const Slot& s, const sockaddr& source) noexcept {
    std::memset(s.address, 0, kSockaddrInetLen);
    int len = static_cast<int>(s.address_length);
    (void)posix::to_windows(source, s.address, &len);
}

} // namespace

int prepare_datagram(const Dir& d, const Slot& s, MsgIo& io) noexcept {
    io.msg = msghdr{};
    io.iov = iovec{s.data, s.length};
    io.msg.msg_iov = &io.iov;
    io.msg.msg_iovlen = 1;
    if (s.address == nullptr)
        return 0;
    socklen_t len = sizeof io.address;
    if (d.is_send) {
        // Checked at post; only a slice the application changed since fails here.
        if (posix::to_kernel(s.address, static_cast<int>(s.address_length), io.address, len) != 0)
            return wsa::einval;
    } else {
        io.address.sa.sa_family = AF_UNSPEC; // stays so when the kernel names no source
    }
    io.msg.msg_name = &io.address;
    io.msg.msg_namelen = len;
    return 0;
}

void finish_datagram_locked(Dir& d, const MsgIo& io, long res) noexcept {
    const Slot& s = d.slot(d.head);
    if (res < 0) {
        complete_head_locked(d, wsa_from_result(static_cast<int>(res)), 0);
        return;
    }
    if (!d.is_send && s.address != nullptr)
        report_source(s, io.address.sa);
    const bool truncated = !d.is_send && (static_cast<unsigned long>(res) > s.length ||
                                          (io.msg.msg_flags & MSG_TRUNC) != 0);
    if (truncated)
        complete_head_locked(d, wsa::emsgsize, s.length);
    else
        complete_head_locked(d, 0, static_cast<ULONG>(res));
}

std::uint64_t uring_prepare_datagrams_locked(Dir& d, std::uint64_t room) noexcept {
    std::uint64_t n = 0;
    while (d.head + n < d.committed && n < room && n < d.msgs.size()) {
        if (int err = prepare_datagram(d, d.slot(d.head + n), msg_of(d, d.head + n)); err != 0) {
            if (n > 0)
                break; // it heads the next chain, and completes then: order is kept
            complete_head_locked(d, err, 0);
            continue;
        }
        ++n;
    }
    return n;
}

void epoll_flush_datagrams_locked(Dir& d) noexcept {
    const int fd = d.rq->fd;
    while (d.head < d.committed) {
        const Slot& s = d.slot(d.head);
        d.submitted = d.head + 1; // the head is being worked on
        MsgIo io;                 // the kernel is done with it when the call returns
        if (int err = prepare_datagram(d, s, io); err != 0) {
            complete_head_locked(d, err, 0);
            continue;
        }
        const ssize_t n = d.is_send ? ::sendmsg(fd, &io.msg, MSG_DONTWAIT | MSG_NOSIGNAL)
                                    : ::recvmsg(fd, &io.msg, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return; // the next edge resumes here
            finish_datagram_locked(d, io, -errno);
            continue;
        }
        finish_datagram_locked(d, io, n);
    }
}

} // namespace riosp::rio::detail
