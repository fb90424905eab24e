// rio/net.h's ReadyWait over ppoll(2) and an eventfd.
#include <rio/net.h>

#include <rio/wsa_error.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <new>
#include <vector>

namespace riosp::rio::net {

struct ReadyWait::Impl {
    int fd = -1; // the eventfd: readable while a wake-up waits
    // A wake-up is written and not yet seen by a wait: further wake() calls write nothing.
    std::atomic<bool> pending{false};
    std::vector<pollfd> fds; // wait()'s own: [0] the eventfd, then the watches
};

ReadyWait::~ReadyWait() {
    if (impl_ == nullptr)
        return;
    if (impl_->fd >= 0)
        ::close(impl_->fd);
    delete impl_;
}

int ReadyWait::open() noexcept {
    impl_ = new (std::nothrow) Impl;
    if (impl_ == nullptr)
        return WSAENOBUFS;
    impl_->fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return impl_->fd < 0 ? wsa_from_errno(errno) : 0;
}

int ReadyWait::wait(std::span<Watch> watches, std::chrono::microseconds timeout) noexcept {
    Impl& im = *impl_;
    try {
        im.fds.resize(watches.size() + 1);
    } catch (...) {
        return WSAENOBUFS;
    }
    im.fds[0] = pollfd{im.fd, POLLIN, 0};
    for (std::size_t i = 0; i < watches.size(); ++i) {
        Watch& w = watches[i];
        w.ready = false;
        im.fds[i + 1] = pollfd{
            w.s, static_cast<short>((w.readable ? POLLIN : 0) | (w.writable ? POLLOUT : 0)), 0};
    }
    timespec ts{};
    timespec* bound = nullptr;
    if (timeout.count() >= 0) {
        ts.tv_sec = static_cast<std::time_t>(timeout.count() / 1'000'000);
        ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000) * 1000;
        bound = &ts;
    }
    const int n = ::ppoll(im.fds.data(), im.fds.size(), bound, nullptr);
    if (n < 0)
        return errno == EINTR ? 0 : wsa_from_errno(errno);
    if (im.fds[0].revents != 0) {
        std::uint64_t drained = 0;
        (void)!::read(im.fd, &drained, sizeof drained);
        // After the drain: a wake() from now on writes again (seq_cst with wake()'s exchange, so
        // one that saw `pending` still set is one whose change the caller's next look sees).
        im.pending.store(false, std::memory_order_seq_cst);
    }
    for (std::size_t i = 0; i < watches.size(); ++i)
        watches[i].ready = im.fds[i + 1].revents != 0;
    return 0;
}

void ReadyWait::wake() noexcept {
    if (impl_->pending.exchange(true, std::memory_order_seq_cst))
        return;
    const std::uint64_t one = 1;
    (void)!::write(impl_->fd, &one, sizeof one);
}

} // namespace riosp::rio::net
