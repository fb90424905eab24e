// The one internal progress thread per backend (see Poller in detail.h).
#include <rio/detail.h>

#include <sys/epoll.h>
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
    // Each created at its backend's first use, so a process on one backend has one thread.
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
    try {
        std::thread([this] { run(); }).detach();
    } catch (...) {
        std::fprintf(stderr, "riosp: rio poller thread could not start\n");
    }
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
