// Completion queues: the backend a CQ runs on (and the process's choice of one), the completion
// rules (the requests of a direction complete strictly in order into the CQ's ring, and a
// completion that may notify fires an armed RIONotify), dequeue with its corruption check,
// notify, wait and resize. Backends only move bytes.
#include <rio/core/detail.h>
#include <rio/rio_testing.h>

#include <gsl/gsl>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace riosp::rio {
namespace detail {

void complete_head_locked(Dir& d, int status, ULONG bytes) noexcept {
    Cq& cq = *d.cq;
    Slot& s = d.slot(d.head);
    if ((s.flags & RIO_MSG_DONT_NOTIFY) != 0)
        --cq.dont_notify;
    ++d.head;
    d.submitted = std::max(d.submitted, d.head);
    d.committed = std::max(d.committed, d.head);
    const std::size_t cap = cq.ring.size();
    // The capacity charge makes overflow impossible unless the header was scribbled on; then
    // drop the entry (dequeue reports RIO_CORRUPT_CQ) rather than write out of bounds.
    if (cq.header.tail - cq.header.head >= cap) {
        release_buffer(s.buffer);
        release_buffer(s.address_buffer);
        s.buffer = s.address_buffer = kNoBuffer;
        return;
    }
    Entry& e = cq.ring[cq.header.tail % cap];
    e.result.Status = status;
    e.result.BytesTransferred = bytes;
    e.result.SocketContext = reinterpret_cast<std::uintptr_t>(d.rq->socket_context);
    e.result.RequestContext = reinterpret_cast<std::uintptr_t>(s.context);
    e.dir = &d;
    e.buffer = s.buffer;
    e.address_buffer = s.address_buffer;
    e.notify = (s.flags & RIO_MSG_DONT_NOTIFY) == 0;
    s.buffer = s.address_buffer = kNoBuffer;
    ++cq.header.tail;
    cq.queued.store(cq.header.tail - cq.header.head, std::memory_order_relaxed);
    if (e.notify) {
        ++cq.eligible;
        if (cq.armed) {
            cq.armed = false;
            signal_event(cq);
        }
    }
}

CqOptions table_cq_options(const RIO_NOTIFICATION_COMPLETION* notification) noexcept {
    CqOptions options;
    // Read at each creation (rare), so that a process may choose per phase and tests may set it.
    const char* owner = std::getenv("RIOSP_RIO_OWNER_CQ");
    options.single_owner = notification == nullptr && owner != nullptr && owner[0] == '1';
    return options;
}

void cancel_pending_locked(Dir& d) noexcept {
    while (d.head < d.cancel_upto && d.head < d.tail)
        complete_head_locked(d, wsa::operation_aborted, 0);
}

} // namespace detail

using detail::Cq;

namespace {
// CQs alive in the process: the last one to close empties the RQ pool (request_queue.cpp).
std::atomic<std::size_t> g_live_cqs{0};
} // namespace

// ================================================================== backend selection
Backend active_backend() noexcept {
    static const Backend chosen = detail::choose_backend();
    return chosen;
}

bool backend_available(Backend backend) noexcept {
    return detail::platform_backend_available(backend);
}

const char* backend_name(Backend backend) noexcept {
    switch (backend) {
    case Backend::uring:
        return "io_uring";
    case Backend::epoll:
        return "epoll";
    case Backend::native:
        return "native";
    case Backend::overlapped:
        return "overlapped";
    }
    return "?";
}

// ================================================================== completion queue
CompletionQueue::CompletionQueue() noexcept = default;
CompletionQueue::CompletionQueue(std::unique_ptr<Cq> impl) noexcept : impl_(std::move(impl)) {}
CompletionQueue::CompletionQueue(CompletionQueue&&) noexcept = default;
CompletionQueue& CompletionQueue::operator=(CompletionQueue&& other) noexcept {
    if (this != &other) {
        CompletionQueue dying(std::move(*this));
        impl_ = std::move(other.impl_);
    }
    return *this;
}

Result<CompletionQueue> CompletionQueue::create(DWORD queue_size,
                                                const RIO_NOTIFICATION_COMPLETION* notification,
                                                CqOptions options) noexcept {
    using R = Result<CompletionQueue>;
    if (queue_size == 0 || queue_size > RIO_MAX_CQ_SIZE)
        return R::failure(wsa::einval);
    if (!backend_available(options.backend))
        return R::failure(wsa::eopnotsupp);
    std::unique_ptr<Cq> cq;
    try {
        cq = std::make_unique<Cq>();
        cq->ring.resize(queue_size);
    } catch (...) {
        return R::failure(wsa::enobufs);
    }
    cq->backend = options.backend;
    cq->single_owner = options.single_owner && detail::single_owner_supported(options.backend);
    cq->header.capacity = queue_size;
    cq->fixed_buffers = options.fixed_buffers;
    if (notification != nullptr) {
        cq->has_notification = true;
        cq->notification = *notification;
        cq->notify_reset =
            notification->Type == RIO_EVENT_COMPLETION && notification->Event.NotifyReset != FALSE;
        if (int err = detail::open_notification(*cq, options); err != 0)
            return R::failure(err);
    }
    if (int err = detail::backend_open(*cq); err != 0)
        return R::failure(err);
    g_live_cqs.fetch_add(1, std::memory_order_relaxed);
    return CompletionQueue(std::move(cq));
}

CompletionQueue::~CompletionQueue() {
    if (!impl_)
        return;
    {
        std::lock_guard lock(impl_->mu);
        // A CQ outliving its request queues is part of the contract (RQs point at it).
        Expects(impl_->attached == 0);
    }
    for (auto i = impl_->header.head; i != impl_->header.tail && !impl_->ring.empty(); ++i) {
        const detail::Entry& e = impl_->ring[i % impl_->ring.size()];
        detail::release_buffer(e.buffer);
        detail::release_buffer(e.address_buffer);
    }
    detail::backend_close(*impl_);
    if (g_live_cqs.fetch_sub(1, std::memory_order_acq_rel) == 1)
        detail::release_request_queue_pool();
}

ULONG CompletionQueue::dequeue(std::span<RIORESULT> results) noexcept {
    Expects(impl_ != nullptr);
    Cq& cq = *impl_;
    if (cq.queued.load(std::memory_order_relaxed) == 0 && !detail::backend_may_complete(cq))
        return 0;
    std::lock_guard lock(cq.mu);
    const std::size_t cap = cq.ring.size();
    if (cq.header.canary != detail::kCqCanary || cq.header.canary_end != detail::kCqCanary ||
        cq.header.capacity != cap || cq.header.tail - cq.header.head > cap)
        return RIO_CORRUPT_CQ;
    detail::backend_reap_locked(cq);
    ULONG n = 0;
    while (n < results.size() && cq.header.head != cq.header.tail) {
        detail::Entry& e = cq.ring[cq.header.head % cap];
        results[n++] = e.result;
        if (e.dir != nullptr)
            --e.dir->outstanding; // quota comes back at dequeue, not at completion
        else
            --cq.orphans;
        if (e.notify)
            --cq.eligible;
        detail::release_buffer(e.buffer);
        detail::release_buffer(e.address_buffer);
        e.buffer = e.address_buffer = detail::kNoBuffer;
        e.dir = nullptr;
        ++cq.header.head;
    }
    cq.queued.store(cq.header.tail - cq.header.head, std::memory_order_relaxed);
    return n;
}

int CompletionQueue::notify() noexcept {
    Expects(impl_ != nullptr);
    Cq& cq = *impl_;
    if (!cq.has_notification)
        return wsa::einval;
    std::lock_guard lock(cq.mu);
    if (cq.armed)
        return wsa::ealready;
    if (cq.notify_reset)
        detail::reset_event(cq);
    detail::backend_reap_locked(cq);
    if (cq.eligible > 0) {
        detail::signal_event(cq); // completions already queued: notify at once (one shot)
        return 0;
    }
    cq.armed = true;
    detail::backend_arm_locked(cq);
    return 0;
}

int CompletionQueue::wait(int timeout_ms) noexcept {
    Expects(impl_ != nullptr);
    Cq& cq = *impl_;
    if (!detail::can_wait(cq))
        return wsa::einval;
    {
        std::lock_guard lock(cq.mu);
        detail::backend_reap_locked(cq);
        if (cq.header.tail != cq.header.head)
            return 0;
        cq.armed = true;
        detail::backend_wait_begin_locked(cq);
    }
    detail::backend_sleep(cq, timeout_ms);
    // Disarm, or the caller's own next dequeue would signal the event (a write, and a wait
    // that returns at once).
    std::lock_guard lock(cq.mu);
    cq.armed = false;
    detail::backend_wait_end_locked(cq);
    return 0;
}

int CompletionQueue::resize(DWORD queue_size) noexcept {
    Expects(impl_ != nullptr);
    if (queue_size == 0 || queue_size > RIO_MAX_CQ_SIZE)
        return wsa::einval;
    Cq& cq = *impl_;
    std::lock_guard lock(cq.mu);
    const std::uint64_t queued = cq.header.tail - cq.header.head;
    if (queue_size < cq.charged + cq.orphans || queue_size < queued)
        return wsa::etoomanyrefs;
    std::vector<detail::Entry> fresh;
    try {
        fresh.resize(queue_size);
    } catch (...) {
        return wsa::enobufs;
    }
    if (int err = detail::backend_resize_cq(cq, queue_size); err != 0)
        return err;
    const std::size_t cap = cq.ring.size();
    for (std::uint64_t i = 0; i < queued; ++i)
        fresh[i] = cq.ring[(cq.header.head + i) % cap];
    cq.ring.swap(fresh);
    cq.header.head = 0;
    cq.header.tail = queued;
    cq.header.capacity = queue_size;
    return 0;
}

Backend CompletionQueue::backend() const noexcept {
    return impl_->backend;
}
bool CompletionQueue::single_owner() const noexcept {
    return impl_->single_owner;
}
std::uint64_t CompletionQueue::submit_calls() const noexcept {
    return impl_->submits.load(std::memory_order_relaxed);
}
std::uint64_t CompletionQueue::fixed_buffer_requests() const noexcept {
    return impl_->fixed_requests.load(std::memory_order_relaxed);
}

namespace testing {
void scribble_cq_header(CompletionQueue& cq) noexcept {
    std::lock_guard lock(cq.native()->mu);
    cq.native()->header.canary = 0xDEADBEEFDEADBEEFULL;
}
std::size_t live_completion_queues() noexcept {
    return g_live_cqs.load(std::memory_order_acquire);
}
std::uint64_t io_system_calls(const CompletionQueue& cq) noexcept {
    return cq.native()->syscalls.load(std::memory_order_relaxed);
}
std::size_t queued_completions(const CompletionQueue& cq) noexcept {
    return cq.native()->queued.load(std::memory_order_relaxed);
}
std::size_t registered_fixed_buffers(const CompletionQueue& cq) noexcept {
    return detail::backend_fixed_buffers(*cq.native());
}
} // namespace testing

} // namespace riosp::rio
