// Backend-independent RIO semantics: capacity accounting, request FIFOs, the completion ring,
// RIONotify, the buffer registry and backend selection. Backends only move bytes.
#include <rio/core/detail.h>
#include <rio/rio_testing.h>
#include <rio/slot_table.h>

#include <gsl/gsl>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

namespace riosp::rio {
namespace detail {
namespace {

// ------------------------------------------------------------------ buffer registry
// A RIO_BUFFERID is a handle of a slot table (rio/slot_table.h): lookups on the I/O path take no
// lock, and a stale or made-up id fails the generation check instead of reaching freed memory.
// Every request naming a registration pins its slot, so a deregistered region stays until the
// last of them is dequeued.
struct Registration : TableSlot {
    char* base = nullptr;
    ULONG length = 0;
};
using Registry = SlotTable<Registration, 4096, 256>;

Registry& registry() noexcept {
    static auto* r = new Registry; // never destroyed: ids may be released at exit
    return *r;
}

Registry::Handle handle_of(RIO_BUFFERID id) noexcept {
    return static_cast<Registry::Handle>(reinterpret_cast<std::uintptr_t>(id));
}

// No request names the registration any more and its id is dead: before the index can carry
// another region, no ring may keep this one pinned.
void free_registration(Registration& r) noexcept {
    backend_forget_buffer(r.slot_index());
    registry().recycle(r);
}

int add_registration(std::span<char> region, RIO_BUFFERID& out) noexcept {
    Registration* r = registry().acquire();
    if (r == nullptr)
        return wsa::enobufs;
    r->base = region.data();
    r->length = gsl::narrow<ULONG>(region.size());
    out = reinterpret_cast<RIO_BUFFERID>(static_cast<std::uintptr_t>(registry().publish(*r)));
    return 0;
}

int remove_registration(RIO_BUFFERID id) noexcept {
    bool idle = false;
    Registration* r = registry().retire(handle_of(id), idle);
    if (r == nullptr)
        return wsa::einval;
    if (idle)
        free_registration(*r);
    // else: deferred; the last release_buffer() frees it.
    return 0;
}

std::unique_lock<std::mutex> lock_cq(Cq& cq) noexcept {
    return std::unique_lock(cq.mu);
}

void commit_locked(Dir& d) noexcept {
    if (d.committed == d.tail)
        return;
    d.committed = d.tail;
    backend_commit_locked(d);
}

void cancel_locked(Dir& d) noexcept {
    d.cancel_upto = d.tail;
    backend_cancel_locked(d);
}

int validate_flags(DWORD flags, bool is_send) noexcept {
    const DWORD allowed = is_send ? (kAllMsgFlags & ~DWORD{RIO_MSG_WAITALL}) : kAllMsgFlags;
    if ((flags & ~allowed) != 0)
        return wsa::einval;
    if ((flags & RIO_MSG_COMMIT_ONLY) != 0 && flags != RIO_MSG_COMMIT_ONLY)
        return wsa::einval; // Windows: no other flag may accompany RIO_MSG_COMMIT_ONLY
    return 0;
}

int post_request(Dir& d, std::span<const RIO_BUF> buffers, DWORD flags, void* context) noexcept {
    if (int err = validate_flags(flags, d.is_send); err != 0)
        return err;
    if (flags == RIO_MSG_COMMIT_ONLY) {
        auto lock = lock_cq(*d.cq);
        commit_locked(d);
        return 0;
    }
    // Windows RIO carries exactly one data buffer per request.
    if (buffers.size() != 1)
        return wsa::einval;
    BufferRef ref;
    if (int err = acquire_buffer(buffers[0], ref); err != 0)
        return err;
    auto lock = lock_cq(*d.cq);
    if (d.outstanding >= d.max) {
        lock.unlock();
        release_buffer(ref.index);
        return wsa::enobufs; // a full RQ fails at once: no hidden overflow queue
    }
    d.slot(d.tail) = Slot{context, ref.data, ref.length, 0, ref.index, flags};
    ++d.tail;
    ++d.outstanding;
    if ((flags & RIO_MSG_DEFER) == 0)
        commit_locked(d);
    return 0;
}

// Entries of a vanishing RQ stay queued (the application still gets its request contexts back)
// but no longer point at it.
void orphan_entries_locked(Cq& cq, const Dir& d) noexcept {
    const std::size_t cap = cq.ring.size();
    for (std::uint64_t i = cq.header.head; i != cq.header.tail && cap != 0; ++i) {
        Entry& e = cq.ring[i % cap];
        if (e.dir == &d) {
            e.dir = nullptr;
            ++cq.orphans;
        }
    }
    cq.charged -= d.max;
    --cq.attached;
    if (d.backlogged) {
        --cq.backlog;
    }
}

bool resize_slots(ULONG new_max, std::vector<Slot>& out) noexcept {
    try {
        out.assign(std::max<ULONG>(new_max, 1), Slot{});
    } catch (...) {
        return false;
    }
    return true;
}

void move_slots_locked(Dir& d, std::vector<Slot>& fresh, ULONG new_max) noexcept {
    const std::size_t n = fresh.size();
    for (std::uint64_t s = d.head; s != d.tail; ++s)
        fresh[s % n] = d.slot(s);
    d.slots.swap(fresh);
    d.max = new_max;
}

// ------------------------------------------------------------------ request-queue pool
// The provider destroys a socket's RQ on close and creates one per accepted/connected socket,
// so RQ create/destroy is a steady-state path: destroyed Rq objects go to a free list that
// keeps their slot vectors' capacity, and create reuses one whose vectors are large enough.
// After warm-up neither allocates. Bounded, so a burst of closes does not pin memory forever.
constexpr std::size_t kRqPoolMax = 4096;
constexpr int kRqPoolScan = 16; // look this far for an Rq whose slot capacity fits

struct RqPool {
    std::mutex mu;
    Rq* head = nullptr;
    std::size_t size = 0;
};

RqPool& rq_pool() noexcept {
    static auto* pool = new RqPool; // never destroyed: RQs may be closed from static destructors
    return *pool;
}

bool rq_fits(const Rq& rq, std::size_t recv, std::size_t send) noexcept {
    return rq.recv.slots.capacity() >= recv && rq.send.slots.capacity() >= send;
}

// An Rq with room for the given slot counts (slots sized and cleared), or nullptr.
Rq* take_rq(std::size_t recv, std::size_t send) noexcept {
    Rq* rq = nullptr;
    {
        RqPool& pool = rq_pool();
        std::lock_guard lock(pool.mu);
        Rq** link = &pool.head;
        for (int i = 0; *link != nullptr && i < kRqPoolScan; ++i, link = &(*link)->next_free) {
            if (rq_fits(**link, recv, send))
                break;
        }
        if (*link == nullptr || !rq_fits(**link, recv, send))
            link = &pool.head; // none fits: take the first and let its vectors grow
        rq = *link;
        if (rq != nullptr) {
            *link = rq->next_free;
            rq->next_free = nullptr;
            --pool.size;
        }
    }
    if (rq == nullptr) {
        rq = new (std::nothrow) Rq;
        if (rq == nullptr)
            return nullptr;
    }
    try {
        rq->recv.slots.assign(recv, Slot{}); // within capacity: no allocation
        rq->send.slots.assign(send, Slot{});
    } catch (...) {
        delete rq;
        return nullptr;
    }
    return rq;
}

void recycle_rq(Rq* rq) noexcept {
    if (rq == nullptr)
        return;
    rq->fd = net::invalid_socket;
    rq->socket_context = nullptr;
    rq->poll_token = 0;
    rq->recv.cq = rq->send.cq = nullptr;
    {
        RqPool& pool = rq_pool();
        std::lock_guard lock(pool.mu);
        if (pool.size < kRqPoolMax) {
            rq->next_free = pool.head;
            pool.head = rq;
            ++pool.size;
            return;
        }
    }
    delete rq;
}

// After cancel_all: the OS (io_uring, Winsock, RIO) owns the requests still in flight until
// their (cancelled) completions come back; wait for them, bounded, before the slots go away.
// false: it kept them past the bound, and rq must never be freed.
bool wait_until_released(Rq& rq) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        bool idle = true;
        for (Dir* d : {&rq.recv, &rq.send}) {
            std::lock_guard lock(d->cq->mu);
            backend_reap_locked(*d->cq);
            idle = idle && d->inflight == 0;
        }
        if (idle)
            return true;
        if (std::chrono::steady_clock::now() > deadline) {
            std::fprintf(stderr,
                         "riosp: rio request queue on socket %llu: the OS kept requests past "
                         "cancellation; leaking it\n",
                         static_cast<unsigned long long>(rq.fd));
            return false;
        }
        backend_pause(*rq.recv.cq);
    }
}

} // namespace

int acquire_buffer(const RIO_BUF& buf, BufferRef& out) noexcept {
    bool full = false;
    Registration* r = registry().pin(handle_of(buf.BufferId), full);
    if (r == nullptr)
        return full ? wsa::enobufs : wsa::einval;
    if (std::uint64_t{buf.Offset} + buf.Length > r->length) {
        release_buffer(r->slot_index());
        return wsa::einval;
    }
    out = BufferRef{r->base + buf.Offset, buf.Length, r->slot_index()};
    return 0;
}
void release_buffer(std::uint32_t index) noexcept {
    if (index == kNoBuffer)
        return;
    Registration& r = registry().slot(index);
    if (Registry::unpin(r))
        free_registration(r);
}
BufferRegion buffer_region(std::uint32_t index) noexcept {
    const Registration& r = registry().slot(index);
    return BufferRegion{r.base, r.length, Registry::generation(r)};
}

void complete_head_locked(Dir& d, int status, ULONG bytes) noexcept {
    Cq& cq = *d.cq;
    Slot& s = d.slot(d.head);
    ++d.head;
    d.submitted = std::max(d.submitted, d.head);
    d.committed = std::max(d.committed, d.head);
    const std::size_t cap = cq.ring.size();
    // The capacity charge makes overflow impossible unless the header was scribbled on; then
    // drop the entry (dequeue reports RIO_CORRUPT_CQ) rather than write out of bounds.
    if (cq.header.tail - cq.header.head >= cap) {
        release_buffer(s.buffer);
        return;
    }
    Entry& e = cq.ring[cq.header.tail % cap];
    e.result.Status = status;
    e.result.BytesTransferred = bytes;
    e.result.SocketContext = reinterpret_cast<std::uintptr_t>(d.rq->socket_context);
    e.result.RequestContext = reinterpret_cast<std::uintptr_t>(s.context);
    e.dir = &d;
    e.buffer = s.buffer;
    e.notify = (s.flags & RIO_MSG_DONT_NOTIFY) == 0;
    s.buffer = kNoBuffer;
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

void cancel_pending_locked(Dir& d) noexcept {
    while (d.head < d.cancel_upto && d.head < d.tail)
        complete_head_locked(d, wsa::operation_aborted, 0);
}

} // namespace detail

using detail::Cq;
using detail::Dir;
using detail::Rq;

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

// ================================================================== buffers
Result<RIO_BUFFERID> register_buffer(std::span<char> region) noexcept {
    if (region.data() == nullptr)
        return Result<RIO_BUFFERID>::failure(wsa::efault);
    if (region.empty() || region.size() > 0xFFFFFFFFULL)
        return Result<RIO_BUFFERID>::failure(wsa::einval);
    RIO_BUFFERID id = RIO_INVALID_BUFFERID;
    if (int err = detail::add_registration(region, id); err != 0)
        return Result<RIO_BUFFERID>::failure(err);
    return id;
}

int deregister_buffer(RIO_BUFFERID id) noexcept {
    return detail::remove_registration(id);
}

std::size_t live_buffer_registrations() noexcept {
    return detail::registry().in_use();
}

Result<RegisteredBuffer> RegisteredBuffer::create(std::span<char> region) noexcept {
    auto id = register_buffer(region);
    if (!id)
        return Result<RegisteredBuffer>::failure(id.error());
    RegisteredBuffer b;
    b.id_ = id.value();
    b.region_ = region;
    return b;
}

RegisteredBuffer& RegisteredBuffer::operator=(RegisteredBuffer&& other) noexcept {
    if (this != &other) {
        if (id_ != RIO_INVALID_BUFFERID)
            (void)deregister_buffer(id_);
        id_ = std::exchange(other.id_, RIO_INVALID_BUFFERID);
        region_ = other.region_;
    }
    return *this;
}

RegisteredBuffer::~RegisteredBuffer() {
    if (id_ != RIO_INVALID_BUFFERID)
        (void)deregister_buffer(id_);
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
    for (auto i = impl_->header.head; i != impl_->header.tail && !impl_->ring.empty(); ++i)
        detail::release_buffer(impl_->ring[i % impl_->ring.size()].buffer);
    detail::backend_close(*impl_);
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
        e.buffer = detail::kNoBuffer;
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

// ================================================================== request queue
RequestQueue::RequestQueue() noexcept = default;
RequestQueue::RequestQueue(std::unique_ptr<Rq> impl) noexcept : impl_(std::move(impl)) {}
RequestQueue::RequestQueue(RequestQueue&&) noexcept = default;
RequestQueue& RequestQueue::operator=(RequestQueue&& other) noexcept {
    if (this != &other) {
        RequestQueue dying(std::move(*this));
        impl_ = std::move(other.impl_);
    }
    return *this;
}

Result<RequestQueue> RequestQueue::create(net::NativeSocket native_fd,
                                          ULONG max_outstanding_receive,
                                          ULONG max_receive_data_buffers,
                                          ULONG max_outstanding_send, ULONG max_send_data_buffers,
                                          CompletionQueue& receive_cq, CompletionQueue& send_cq,
                                          void* socket_context) noexcept {
    using R = Result<RequestQueue>;
    Cq* rc = receive_cq.native();
    Cq* sc = send_cq.native();
    if (rc == nullptr || sc == nullptr || rc->backend != sc->backend)
        return R::failure(wsa::einval);
    if (max_receive_data_buffers == 0 || max_send_data_buffers == 0 ||
        (max_outstanding_receive == 0 && max_outstanding_send == 0))
        return R::failure(wsa::einval);
    if (max_outstanding_receive > RIO_MAX_CQ_SIZE || max_outstanding_send > RIO_MAX_CQ_SIZE)
        return R::failure(wsa::enobufs);
    if (int err = detail::check_stream_socket(native_fd); err != 0)
        return R::failure(err);
    // From the pool (no allocation in steady state); back to it on every failure below.
    std::unique_ptr<Rq> rq(detail::take_rq(std::max<ULONG>(max_outstanding_receive, 1),
                                           std::max<ULONG>(max_outstanding_send, 1)));
    if (!rq)
        return R::failure(wsa::enobufs);
    auto give_back = gsl::finally([&rq] { detail::recycle_rq(rq.release()); });
    rq->fd = native_fd;
    rq->socket_context = socket_context;
    rq->recv = Dir{rq.get(), rc, false, std::move(rq->recv.slots), max_outstanding_receive};
    rq->send = Dir{rq.get(), sc, true, std::move(rq->send.slots), max_outstanding_send};
    {
        // Charge both CQs atomically (one CQ may serve both directions).
        std::unique_lock<std::mutex> l1(rc->mu, std::defer_lock);
        std::unique_lock<std::mutex> l2(sc->mu, std::defer_lock);
        if (rc == sc)
            l1.lock();
        else
            std::lock(l1, l2);
        auto room = [](const Cq& cq) { return cq.ring.size() - cq.charged - cq.orphans; };
        if (rc == sc) {
            if (std::uint64_t{max_outstanding_receive} + max_outstanding_send > room(*rc))
                return R::failure(wsa::enobufs);
        } else if (max_outstanding_receive > room(*rc) || max_outstanding_send > room(*sc)) {
            return R::failure(wsa::enobufs);
        }
        rc->charged += max_outstanding_receive;
        sc->charged += max_outstanding_send;
        ++rc->attached;
        ++sc->attached;
    }
    const int err = detail::backend_attach(*rq);
    if (err != 0) {
        for (Dir* d : {&rq->recv, &rq->send}) {
            std::lock_guard lock(d->cq->mu);
            detail::orphan_entries_locked(*d->cq, *d);
        }
        return R::failure(err);
    }
    return RequestQueue(std::unique_ptr<Rq>(rq.release())); // give_back sees nullptr
}

RequestQueue::~RequestQueue() {
    if (!impl_)
        return;
    Rq& rq = *impl_;
    cancel_all();
    if (!detail::wait_until_released(rq)) {
        (void)impl_.release(); // the OS may still name it; never free it
        return;
    }
    detail::backend_detach(rq);
    for (Dir* d : {&rq.recv, &rq.send}) {
        std::lock_guard lock(d->cq->mu);
        detail::cancel_pending_locked(*d); // anything posted after cancel_all
        d->cancel_upto = d->tail;
        detail::cancel_pending_locked(*d);
        detail::orphan_entries_locked(*d->cq, *d);
    }
    detail::recycle_rq(impl_.release()); // slots kept for the next create: no free, no malloc
}

int RequestQueue::send(std::span<const RIO_BUF> buffers, DWORD flags,
                       void* request_context) noexcept {
    Expects(impl_ != nullptr);
    return detail::post_request(impl_->send, buffers, flags, request_context);
}

int RequestQueue::receive(std::span<const RIO_BUF> buffers, DWORD flags,
                          void* request_context) noexcept {
    Expects(impl_ != nullptr);
    return detail::post_request(impl_->recv, buffers, flags, request_context);
}

int RequestQueue::resize(ULONG max_outstanding_receive, ULONG max_outstanding_send) noexcept {
    Expects(impl_ != nullptr);
    Rq& rq = *impl_;
    Cq* rc = rq.recv.cq;
    Cq* sc = rq.send.cq;
    if (max_outstanding_receive == 0 && max_outstanding_send == 0)
        return wsa::einval;
    std::vector<detail::Slot> fresh_recv;
    std::vector<detail::Slot> fresh_send;
    if (!detail::resize_slots(max_outstanding_receive, fresh_recv) ||
        !detail::resize_slots(max_outstanding_send, fresh_send))
        return wsa::enobufs;
    std::unique_lock<std::mutex> l1(rc->mu, std::defer_lock);
    std::unique_lock<std::mutex> l2(sc->mu, std::defer_lock);
    if (rc == sc)
        l1.lock();
    else
        std::lock(l1, l2);
    if (max_outstanding_receive < rq.recv.outstanding || max_outstanding_send < rq.send.outstanding)
        return wsa::etoomanyrefs;
    auto grow = [](ULONG now, ULONG want) -> std::int64_t {
        return std::int64_t{want} - std::int64_t{now};
    };
    auto room = [](const Cq& cq) {
        return static_cast<std::int64_t>(cq.ring.size() - cq.charged - cq.orphans);
    };
    const std::int64_t dr = grow(rq.recv.max, max_outstanding_receive);
    const std::int64_t ds = grow(rq.send.max, max_outstanding_send);
    if (rc == sc ? dr + ds > room(*rc) : (dr > room(*rc) || ds > room(*sc)))
        return wsa::enobufs;
    if (int err = detail::backend_resize_rq(rq, max_outstanding_receive, max_outstanding_send);
        err != 0)
        return err;
    rc->charged = static_cast<std::uint64_t>(static_cast<std::int64_t>(rc->charged) + dr);
    sc->charged = static_cast<std::uint64_t>(static_cast<std::int64_t>(sc->charged) + ds);
    detail::move_slots_locked(rq.recv, fresh_recv, max_outstanding_receive);
    detail::move_slots_locked(rq.send, fresh_send, max_outstanding_send);
    return 0;
}

void RequestQueue::cancel_all() noexcept {
    Expects(impl_ != nullptr);
    for (Dir* d : {&impl_->recv, &impl_->send}) {
        std::lock_guard lock(d->cq->mu);
        detail::cancel_locked(*d);
    }
}

net::NativeSocket RequestQueue::native_fd() const noexcept {
    return impl_ ? impl_->fd : net::invalid_socket;
}

namespace testing {
void scribble_cq_header(CompletionQueue& cq) noexcept {
    std::lock_guard lock(cq.native()->mu);
    cq.native()->header.canary = 0xDEADBEEFDEADBEEFULL;
}
std::size_t registered_fixed_buffers(const CompletionQueue& cq) noexcept {
    return detail::backend_fixed_buffers(*cq.native());
}
bool uses_fixed_file(const RequestQueue& rq) noexcept {
    return rq.native() != nullptr && rq.native()->recv.fixed_index >= 0 &&
           rq.native()->send.fixed_index >= 0;
}
} // namespace testing

} // namespace riosp::rio
