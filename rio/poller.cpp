// The one internal progress thread per backend (see Poller in detail.h).
#include <rio/detail.h>

#include <sys/epoll.h>
#include <unistd.h>

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
    const std::uint64_t token = next_token_++;
    try {
        targets_.emplace(token, target);
    } catch (...) {
        return 0;
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        targets_.erase(token);
        return 0;
    }
    return token;
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
    targets_.erase(token);
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
        auto it = targets_.find(events[i].data.u64);
        if (it == targets_.end())
            continue; // removed after epoll_wait returned
        if (backend_ == Backend::uring)
            uring_on_ready(*static_cast<Cq*>(it->second));
        else
            epoll_on_ready(*static_cast<Rq*>(it->second));
    }
}

} // namespace riosp::rio::detail
