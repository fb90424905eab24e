// The one internal progress thread per backend (see ProgressThread in detail_posix.h).
#include <rio/posix/detail_posix.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <thread>

namespace riosp::rio::detail {

ProgressThread& ProgressThread::instance(Backend backend) noexcept {
    // Never destroyed: the thread may be inside epoll_wait at exit, and queues may be closed
    // from static destructors of the application.
    // Each created at its backend's first use; its thread runs while CQs of the backend exist
    // (retain/release), so a process on one backend has at most one thread.
    if (backend == Backend::uring) {
        static ProgressThread* uring = new ProgressThread(Backend::uring);
        return *uring;
    }
    static ProgressThread* epoll = new ProgressThread(Backend::epoll);
    return *epoll;
}

ProgressThread::ProgressThread(Backend backend) noexcept : backend_(backend) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
        std::perror("riosp: rio progress thread epoll_create1");
        return;
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (wake_fd_ < 0 || ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0)
        std::perror("riosp: rio progress thread wake eventfd");
}

void ProgressThread::retain() noexcept {
    if (epfd_ < 0)
        return;
    std::lock_guard life(life_mu_);
    if (users_++ > 0 || thread_.joinable())
        return;
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        std::fprintf(stderr, "riosp: rio progress thread could not start\n");
    }
}

void ProgressThread::release() noexcept {
    if (epfd_ < 0)
        return;
    std::lock_guard life(life_mu_);
    if (users_ == 0 || --users_ > 0 || !thread_.joinable() || wake_fd_ < 0)
        return; // without the wake descriptor the thread cannot be stopped: it stays
    // Nothing is registered any more (a CQ outlives its RQs and removes its ring first), so
    // the thread is idle in epoll_wait or finishing a dispatch that found no target.
    stop_.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto w = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
    std::uint64_t drained = 0;
    [[maybe_unused]] auto r = ::read(wake_fd_, &drained, sizeof drained);
    stop_.store(false, std::memory_order_relaxed);
}

std::uint64_t ProgressThread::add(int fd, std::uint32_t events, void* target) noexcept {
    if (epfd_ < 0)
        return 0;
    Target* t = targets_.acquire();
    if (t == nullptr)
        return 0;
    t->target = target;
    // Published before the descriptor enters the set: its first event finds the target.
    const std::uint64_t token = targets_.publish(*t);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        const int err = errno;
        (void)targets_.retire(token); // no event can carry it: the descriptor never got in
        t->target = nullptr;
        targets_.recycle(*t);
        errno = err;
        return 0;
    }
    return token;
}

void* ProgressThread::lookup(std::uint64_t token) const noexcept {
    const Target* t = targets_.resolve(token);
    return t != nullptr ? t->target : nullptr;
}

bool ProgressThread::modify(int fd, std::uint64_t token, std::uint32_t events) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    return ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void ProgressThread::remove(int fd, std::uint64_t token) noexcept {
    if (token == 0)
        return;
    (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    // Taking the lock waits out a dispatch that may already hold this target's token.
    std::lock_guard lock(mu_);
    Target* t = targets_.retire(token);
    if (t == nullptr)
        return;
    t->target = nullptr;
    targets_.recycle(*t);
}

void ProgressThread::run() noexcept {
    std::array<epoll_event, 64> events{};
    for (;;) {
        const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::perror("riosp: rio progress thread epoll_wait");
            return;
        }
        if (stop_.load(std::memory_order_acquire))
            return; // release(): the last CQ of this backend is gone
        std::lock_guard lock(mu_);
        dispatch(events.data(), n);
    }
}

void ProgressThread::poll_once() noexcept {
    if (epfd_ < 0)
        return;
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock())
        return; // the progress thread is on it
    std::array<epoll_event, 16> events{};
    const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 0);
    if (n > 0)
        dispatch(events.data(), n);
}

void ProgressThread::dispatch(const epoll_event* events, int n) noexcept {
    for (int i = 0; i < n; ++i) {
        void* target = lookup(events[i].data.u64);
        if (target == nullptr)
            continue; // removed after epoll_wait returned
        dispatched_.fetch_add(1, std::memory_order_relaxed);
        if (backend_ == Backend::uring)
            uring_on_ready(*static_cast<Cq*>(target));
        else
            epoll_on_ready(*static_cast<Rq*>(target));
    }
}

} // namespace riosp::rio::detail
