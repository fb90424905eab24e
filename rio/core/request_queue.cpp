// Request queues: capacity charged to their CQs, the request FIFOs (flags, RIO_MSG_DEFER batches
// and RIO_MSG_COMMIT_ONLY, a full direction failing at once), cancellation, teardown with
// requests in flight, resize, and the pool that makes create/destroy allocation-free.
#include <rio/core/detail.h>
#include <rio/rio_testing.h>

#include <gsl/gsl>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace riosp::rio {
namespace detail {

ULONG win_address_length(const void* win_addr) noexcept {
    std::uint16_t family = 0;
    std::memcpy(&family, win_addr, sizeof family);
    return family == kWinAfInet    ? kWinSockaddrInLen
           : family == kWinAfInet6 ? kWinSockaddrIn6Len
                                   : 0;
}

namespace {

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

int validate_flags(DWORD flags, const Dir& d) noexcept {
    // RIO_MSG_WAITALL is for stream receives: a datagram arrives whole or not at all.
    const bool wait_all_ok = !d.is_send && !d.rq->datagram;
    const DWORD allowed = wait_all_ok ? kAllMsgFlags : (kAllMsgFlags & ~DWORD{RIO_MSG_WAITALL});
    if ((flags & ~allowed) != 0)
        return wsa::einval;
    if ((flags & RIO_MSG_COMMIT_ONLY) != 0 && flags != RIO_MSG_COMMIT_ONLY)
        return wsa::einval; // Windows: no other flag may accompany RIO_MSG_COMMIT_ONLY
    return 0;
}

// A datagram request's address slice, pinned like its data buffer: 0, or WSAEINVAL for a slice
// too short for the address (a send's by its family, a receive's for either family) and
// WSAEAFNOSUPPORT for a send to a family other than AF_INET / AF_INET6.
int acquire_address(const Dir& d, const RIO_BUF& slice, BufferRef& out) noexcept {
    if (int err = acquire_buffer(slice, out); err != 0)
        return err;
    int err = 0;
    if (out.length < (d.is_send ? sizeof(std::uint16_t) : kSockaddrInetLen)) {
        err = wsa::einval;
    } else if (d.is_send) {
        const ULONG need = win_address_length(out.data);
        err = need == 0 ? wsa::eafnosupport : out.length < need ? wsa::einval : 0;
    }
    if (err != 0)
        release_buffer(out.index);
    return err;
}

int post_request(Dir& d, std::span<const RIO_BUF> buffers, const RIO_BUF* address, DWORD flags,
                 void* context) noexcept {
    if (int err = validate_flags(flags, d); err != 0)
        return err;
    if (flags == RIO_MSG_COMMIT_ONLY) {
        auto lock = lock_cq(*d.cq);
        commit_locked(d);
        return 0;
    }
    // Windows RIO carries exactly one data buffer per request; only datagrams name addresses.
    if (buffers.size() != 1 || (address != nullptr && !d.rq->datagram))
        return wsa::einval;
    BufferRef ref;
    if (int err = acquire_buffer(buffers[0], ref); err != 0)
        return err;
    BufferRef addr;
    if (address != nullptr) {
        if (int err = acquire_address(d, *address, addr); err != 0) {
            release_buffer(ref.index);
            return err;
        }
    }
    auto lock = lock_cq(*d.cq);
    if (d.outstanding >= d.max) {
        lock.unlock();
        release_buffer(ref.index);
        release_buffer(addr.index);
        return wsa::enobufs; // a full RQ fails at once: no hidden overflow queue
    }
    d.slot(d.tail) = Slot{context, ref.data,  ref.length,  0,         ref.index,
                          flags,   addr.data, addr.length, addr.index};
    ++d.tail;
    ++d.outstanding;
    if ((flags & RIO_MSG_DONT_NOTIFY) != 0)
        ++d.cq->dont_notify; // a notification armed in the kernel must not see its CQE
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

// A pooled direction made new for another RQ; its vectors keep their capacity (no allocation).
void reset_dir(Dir& d, Rq* rq, Cq* cq, bool is_send, ULONG max) noexcept {
    std::vector<Slot> slots = std::move(d.slots);
#ifndef _WIN32
    std::vector<MsgIo> msgs = std::move(d.msgs);
    msgs.clear();
#endif
    d = Dir{};
    d.rq = rq;
    d.cq = cq;
    d.is_send = is_send;
    d.max = max;
    d.slots = std::move(slots);
#ifndef _WIN32
    d.msgs = std::move(msgs);
#endif
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
// After warm-up neither allocates nor frees, however many RQs close at once (a mass close
// after a peak of connections: a cap on the pool made each close beyond it a free in the
// closing thread or a worker). Bounded all the same: an Rq is allocated only when the pool is
// empty, so the pool never holds more than the most RQs that were alive at once; and it is
// emptied when the process's last CQ closes (release_request_queue_pool), when no RQ can be
// alive, never by the close of an RQ.
constexpr int kRqPoolScan = 16; // look this far for an Rq whose slot capacity fits

struct RqPool {
    std::mutex mu;
    Rq* head = nullptr;
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
    rq->datagram = false;
    rq->poll_token = 0;
    rq->recv.cq = rq->send.cq = nullptr;
    RqPool& pool = rq_pool();
    std::lock_guard lock(pool.mu);
    rq->next_free = pool.head;
    pool.head = rq;
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

void release_request_queue_pool() noexcept {
    Rq* head = nullptr;
    {
        RqPool& pool = rq_pool();
        std::lock_guard lock(pool.mu);
        head = std::exchange(pool.head, nullptr);
    }
    while (head != nullptr)
        delete std::exchange(head, head->next_free);
}
} // namespace detail

using detail::Cq;
using detail::Dir;
using detail::Rq;

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
    bool datagram = false;
    if (int err = detail::socket_kind(native_fd, datagram); err != 0)
        return R::failure(err);
    // From the pool (no allocation in steady state); back to it on every failure below.
    std::unique_ptr<Rq> rq(detail::take_rq(std::max<ULONG>(max_outstanding_receive, 1),
                                           std::max<ULONG>(max_outstanding_send, 1)));
    if (!rq)
        return R::failure(wsa::enobufs);
    auto give_back = gsl::finally([&rq] { detail::recycle_rq(rq.release()); });
    rq->fd = native_fd;
    rq->socket_context = socket_context;
    rq->datagram = datagram;
    detail::reset_dir(rq->recv, rq.get(), rc, false, max_outstanding_receive);
    detail::reset_dir(rq->send, rq.get(), sc, true, max_outstanding_send);
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
    return detail::post_request(impl_->send, buffers, nullptr, flags, request_context);
}

int RequestQueue::send_ex(std::span<const RIO_BUF> buffers, const RIO_BUF* remote_address,
                          DWORD flags, void* request_context) noexcept {
    Expects(impl_ != nullptr);
    return detail::post_request(impl_->send, buffers, remote_address, flags, request_context);
}

int RequestQueue::receive(std::span<const RIO_BUF> buffers, DWORD flags,
                          void* request_context) noexcept {
    Expects(impl_ != nullptr);
    return detail::post_request(impl_->recv, buffers, nullptr, flags, request_context);
}

int RequestQueue::receive_ex(std::span<const RIO_BUF> buffers, const RIO_BUF* remote_address,
                             DWORD flags, void* request_context) noexcept {
    Expects(impl_ != nullptr);
    return detail::post_request(impl_->recv, buffers, remote_address, flags, request_context);
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
std::size_t pooled_request_queues() noexcept {
    detail::RqPool& pool = detail::rq_pool();
    std::lock_guard lock(pool.mu);
    std::size_t n = 0;
    for (const Rq* rq = pool.head; rq != nullptr; rq = rq->next_free)
        ++n;
    return n;
}
bool uses_fixed_file(const RequestQueue& rq) noexcept {
    return rq.native() != nullptr && rq.native()->recv.fixed_index >= 0 &&
           rq.native()->send.fixed_index >= 0;
}
} // namespace testing

} // namespace riosp::rio
