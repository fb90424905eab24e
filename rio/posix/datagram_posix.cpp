// Datagram request queues on Linux, for both backends: each request is one datagram (a send is
// one message of a sendmmsg, or an IORING_OP_SENDMSG; a receive one recvmsg, or an
// IORING_OP_RECVMSG), never more. Receives ask for MSG_TRUNC: the kernel then answers with the
// datagram's real length, which is how a datagram larger than the buffer is told apart on both
// backends (the bytes past the buffer are gone, as on Windows).
//
// Sends go out from the thread that commits them, a whole RIO_MSG_DEFER batch in one system
// call (MSG_DONTWAIT), on both backends: one segmented sendmsg (UDP_SEGMENT, below) when the
// datagrams have one size and one destination, else one sendmmsg. A UDP send does not wait
// for the peer, so it practically never blocks, and one sendmmsg of 32 costs the kernel less than
// 32 linked IORING_OP_SENDMSG (each a request to allocate, a msghdr to copy, a task-work hop to the
// next link and a CQE to post and reap) or 32 sendmsg calls. Only what the socket refuses with
// EAGAIN (its send buffer full) waits: for the ring (io_uring) or for the next writable edge
// (epoll).
#include <rio/posix/detail_posix.h>
#include <rio/posix/sockaddr_posix.h>

#include <netinet/udp.h>

#include <array>
#include <cerrno>
#include <cstdint>
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

namespace {

// UDP generic segmentation offload (UDP_SEGMENT): datagrams of one size (the last may be
// shorter) to one destination go as ONE sendmsg of their data gathered, which the kernel cuts
// into those same datagrams (on loopback the receiving socket does; a NIC without the offload
// gets it done in software). One trip through the socket layer and the route for the batch,
// instead of one per datagram. Limits: at most 64 segments and 60000 bytes (well under the
// 64 KiB an IP packet may carry); a socket or kernel that refuses it (EINVAL for a segment
// larger than the path allows, EIO, ENOPROTOOPT, EOPNOTSUPP) gets sendmmsg from then on.
constexpr std::size_t kGsoMaxSegments = 64;
constexpr std::size_t kGsoMaxBytes = 60000;

bool same_destination(const msghdr& a, const msghdr& b) noexcept {
    return a.msg_namelen == b.msg_namelen &&
           (a.msg_namelen == 0 || std::memcmp(a.msg_name, b.msg_name, a.msg_namelen) == 0);
}

// The first n prepared messages as one segmented send: true when they went (completed), false
// when the batch does not qualify or the kernel refused the offload (the caller sends them
// with sendmmsg instead), with `again` set when the socket's buffer is full.
bool send_segmented_locked(Dir& d, const MsgIo* io, std::size_t n, bool& again) noexcept {
    again = false;
    if (n < 2 || d.gso_off || n > kGsoMaxSegments)
        return false;
    const std::size_t size = io[0].iov.iov_len;
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = io[i].iov.iov_len;
        if (len == 0 || (i + 1 < n ? len != size : len > size) ||
            !same_destination(io[i].msg, io[0].msg))
            return false;
        total += len;
    }
    if (total > kGsoMaxBytes || size > 0xFFFF)
        return false;
    std::array<iovec, kGsoMaxSegments> iov;
    for (std::size_t i = 0; i < n; ++i)
        iov[i] = io[i].iov;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
    msghdr m = io[0].msg;
    m.msg_iov = iov.data();
    m.msg_iovlen = n;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    const auto segment = static_cast<std::uint16_t>(size);
    std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    d.cq->syscalls.fetch_add(1, std::memory_order_relaxed);
    const ssize_t sent = ::sendmsg(d.rq->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent == static_cast<ssize_t>(total)) {
        for (std::size_t i = 0; i < n; ++i)
            complete_head_locked(d, 0, static_cast<ULONG>(io[i].iov.iov_len));
        return true;
    }
    const int err = sent < 0 ? errno : 0;
    if (err == EAGAIN || err == EWOULDBLOCK) {
        again = true;
        return false;
    }
    if (err == EINVAL || err == EIO || err == ENOPROTOOPT || err == EOPNOTSUPP || err == EMSGSIZE)
        d.gso_off = true;
    return false; // sendmmsg then sends them one by one (and reports a datagram's own error)
}

} // namespace

bool send_datagrams_now_locked(Dir& d) noexcept {
    // A batch is built on the stack (sendmmsg would take up to UIO_MAXIOV, 1024).
    constexpr std::size_t kBatch = 32;
    std::array<MsgIo, kBatch> io;
    std::array<mmsghdr, kBatch> mm;
    const int fd = d.rq->fd;
    while (d.head < d.committed) {
        std::size_t n = 0;
        while (n < kBatch && d.head + n < d.committed) {
            if (int err = prepare_datagram(d, d.slot(d.head + n), io[n]); err != 0) {
                if (n > 0)
                    break; // it heads the next call, and completes then: order is kept
                complete_head_locked(d, err, 0);
                continue;
            }
            mm[n].msg_hdr = io[n].msg; // names io[n]'s iovec and address, which stay put
            mm[n].msg_len = 0;
            ++n;
        }
        if (n == 0)
            continue;
        d.submitted = d.head + n; // being worked on
        bool again = false;
        if (send_segmented_locked(d, io.data(), n, again)) {
            d.submitted = d.head;
            continue;
        }
        if (again) {
            d.submitted = d.head;
            return false;
        }
        d.cq->syscalls.fetch_add(1, std::memory_order_relaxed);
        constexpr int kFlags = MSG_DONTWAIT | MSG_NOSIGNAL;
        int sent = 0;
        if (n == 1) { // one datagram: sendmsg(2), without sendmmsg's vector to copy in
            const ssize_t one = ::sendmsg(fd, &mm[0].msg_hdr, kFlags);
            sent = one < 0 ? -1 : 1;
            mm[0].msg_len = one < 0 ? 0 : static_cast<unsigned>(one);
        } else {
            sent = ::sendmmsg(fd, mm.data(), static_cast<unsigned>(n), kFlags);
        }
        if (sent < 0) {
            const int err = errno;
            d.submitted = d.head;
            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return false;
            complete_head_locked(d, wsa_from_errno(err), 0); // the head failed; the rest retry
            continue;
        }
        // A send completes whole: the kernel takes a datagram or refuses it.
        for (int i = 0; i < sent; ++i)
            complete_head_locked(d, 0, mm[static_cast<std::size_t>(i)].msg_len);
        d.submitted = d.head;
        // Fewer than n: the next call reports why the first one left out failed (or EAGAIN).
    }
    return true;
}

void epoll_flush_datagrams_locked(Dir& d) noexcept {
    if (d.is_send) {
        (void)send_datagrams_now_locked(d); // what would block resumes at the next edge
        return;
    }
    const int fd = d.rq->fd;
    while (d.head < d.committed) {
        const Slot& s = d.slot(d.head);
        d.submitted = d.head + 1; // the head is being worked on
        MsgIo io;                 // the kernel is done with it when the call returns
        if (int err = prepare_datagram(d, s, io); err != 0) {
            complete_head_locked(d, err, 0);
            continue;
        }
        d.cq->syscalls.fetch_add(1, std::memory_order_relaxed);
        const ssize_t n = ::recvmsg(fd, &io.msg, MSG_DONTWAIT | MSG_TRUNC);
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
