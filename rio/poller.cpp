// The one internal progress thread per backend (see Poller in detail.h).
#include <rio/detail_posix.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <thread>

namespace riosp::rio::detail {

Poller& Poller::instance(Backend backend) noexcept {
    // Never destroyed: the thread may be inside epoll_wait at exit, and queues may be closed
    // from static destructors of the application.
    // Each created at its backend's first use; its thread runs while CQs of the backend exist
    // (retain/release), so a process on one backend has at most one thread.
    if (backend == Backend::uring) {
        static Poller* uring = new Poller(Backend::uring);
        return *uring;
    }
    static Poller* epoll = new Poller(Backend::epoll);
    return *epoll;
}

Poller::Poller(Backend backend) noexcept : backend_(backend) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
        std::perror("riosp: rio poller epoll_create1");
        return;
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (wake_fd_ < 0 || ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0)
        std::perror("riosp: rio poller wake eventfd");
}

void Poller::retain() noexcept {
    if (epfd_ < 0)
        return;
    std::lock_guard life(life_mu_);
    if (users_++ > 0 || thread_.joinable())
        return;
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        std::fprintf(stderr, "riosp: rio poller thread could not start\n");
    }
}

void Poller::release() noexcept {
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

std::uint64_t Poller::add(int fd, std::uint32_t events, void* target) noexcept {
    if (epfd_ < 0)
        return 0;
    std::lock_guard lock(mu_);
    std::uint32_t index = 0;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        try {
            // remove() pushes the index back onto free_ and must not allocate.
            if (free_.capacity() < targets_.size() + 1)
                free_.reserve(std::max<std::size_t>(64, 2 * (targets_.size() + 1)));
            targets_.emplace_back();
        } catch (...) {
            return 0;
        }
        index = static_cast<std::uint32_t>(targets_.size() - 1);
    }
    Target& t = targets_[index];
    t.target = target;
    const std::uint64_t token = (std::uint64_t{t.generation} << 32) | (index + 1ULL);
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        const int err = errno;
        t.target = nullptr;
        ++t.generation;
        free_.push_back(index); // capacity reserved above
        errno = err;
        return 0;
    }
    return token;
}

void* Poller::lookup_locked(std::uint64_t token) const noexcept {
    const std::uint64_t low = token & 0xFFFFFFFFULL;
    if (low == 0 || low > targets_.size())
        return nullptr;
    const Target& t = targets_[low - 1];
    return t.generation == (token >> 32) ? t.target : nullptr;
}

bool Poller::modify(int fd, std::uint64_t token, std::uint32_t events) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    return ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void Poller::remove(int fd, std::uint64_t token) noexcept {
    if (token == 0)
        return;
    (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    // Taking the lock waits out a dispatch that may already hold this target's token.
    std::lock_guard lock(mu_);
    if (lookup_locked(token) == nullptr)
        return;
    Target& t = targets_[(token & 0xFFFFFFFFULL) - 1];
    t.target = nullptr;
    if (++t.generation == 0)
        t.generation = 1;
    free_.push_back(static_cast<std::uint32_t>((token & 0xFFFFFFFFULL) - 1)); // reserved in add()
}

void Poller::run() noexcept {
    std::array<epoll_event, 64> events{};
    for (;;) {
        const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            std::perror("riosp: rio poller epoll_wait");
            return;
        }
        if (stop_.load(std::memory_order_acquire))
            return; // release(): the last CQ of this backend is gone
        std::lock_guard lock(mu_);
        dispatch(events.data(), n);
    }
}

void Poller::poll_once() noexcept {
    if (epfd_ < 0)
        return;
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock())
        return; // the poller thread is on it
    std::array<epoll_event, 16> events{};
    const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 0);
    if (n > 0)
        dispatch(events.data(), n);
}

void Poller::dispatch(const epoll_event* events, int n) noexcept {
    for (int i = 0; i < n; ++i) {
        void* target = lookup_locked(events[i].data.u64);
        if (target == nullptr)
            continue; // removed after epoll_wait returned
        if (backend_ == Backend::uring)
            uring_on_ready(*static_cast<Cq*>(target));
        else
            epoll_on_ready(*static_cast<Rq*>(target));
    }
}

} // namespace riosp::rio::detail
