// Windows native backend: the system's own Registered I/O (the function table that
// native_rio_win.cpp fetched). rio's core keeps every semantic it has on the other backends
// (its completion ring, capacity accounting, request FIFOs, RIONotify); the system moves the
// bytes. Each rio CQ owns a system RIO_CQ, each RQ a system RIO_RQ on its socket, and each
// registered region is registered with the system at its first use (and deregistered when rio's
// registry frees its index). System completions are reaped into rio's ring under the CQ lock;
// the system CQ notifies the process's completion port (RIO_IOCP_COMPLETION), whose thread
// reaps when something waits.
//
// Limits of RIO itself, kept visible rather than papered over:
// - a socket has one system request queue for its life (RIO frees it only with the socket), so
//   a second rio RequestQueue on the same socket fails with the system's error;
// - RIO has no per-request cancellation: cancel_all asks CancelIoEx on the socket for what is
//   in flight; the requests behind it complete with 995 once it has ended.
// Opt-in (RIOSP_RIO_BACKEND=native). Wine has no RIO: there the tests put riosp's own table
// (over the overlapped backend) behind win::native_rio_table(), so this code runs in CI against
// a double that keeps RIO's rules; rio/README.md says what the double cannot show.
#include <rio/win/detail_win.h>
#include <rio/win/native_rio_win.h>

#include <atomic>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace riosp::rio::detail {

struct NativeCq {
    OVERLAPPED ov{}; // the notification packet names this
    RIO_CQ cq = RIO_INVALID_CQ;
    Cq* owner = nullptr; // guarded by g_owners (the port's thread may hold a stale packet)
    bool notify_armed = false;
    NativeCq* next_free = nullptr;
};

namespace {

// Every call into the system's RIO goes through this: the seam where tests under Wine put
// riosp's own table as a double (win::native_rio_table).
const RIO_EXTENSION_FUNCTION_TABLE& sys() noexcept {
    return *win::native_rio_table();
}

int last_error_or(int fallback) noexcept {
    const int err = WSAGetLastError();
    return err != 0 ? err : fallback;
}

// NativeCq objects are never freed (a notification packet may still be on its way to the port
// when its CQ closes): closed ones are kept for reuse, with no owner.
std::mutex g_owners;
NativeCq* g_free_native = nullptr;

// Registry index -> the system's buffer id for that region, entered at first use.
class SystemBuffers {
public:
    RIO_BUFFERID id_for(std::uint32_t index) noexcept {
        std::lock_guard lock(mu_);
        try {
            if (ids_.size() <= index)
                ids_.resize(index + 1, RIO_INVALID_BUFFERID); // first use of an index only
        } catch (...) {
            return RIO_INVALID_BUFFERID;
        }
        RIO_BUFFERID& id = ids_[index];
        if (id == RIO_INVALID_BUFFERID) {
            const BufferRegion region = buffer_region(index);
            id = sys().RIORegisterBuffer(region.base, region.length);
        }
        return id;
    }
    void forget(std::uint32_t index) noexcept {
        RIO_BUFFERID id = RIO_INVALID_BUFFERID;
        {
            std::lock_guard lock(mu_);
            if (index < ids_.size())
                id = std::exchange(ids_[index], RIO_INVALID_BUFFERID);
        }
        // Outside the lock: a table that is riosp's own (the tests' double) frees its
        // registration at once and comes back here for that index.
        if (id != RIO_INVALID_BUFFERID)
            sys().RIODeregisterBuffer(id);
    }

private:
    std::mutex mu_;
    std::vector<RIO_BUFFERID> ids_;
};

std::atomic<bool> g_buffers_used{false}; // a region was ever given to the system

SystemBuffers& system_buffers() noexcept {
    static auto* b = new SystemBuffers; // never destroyed: regions may be freed at exit
    g_buffers_used.store(true, std::memory_order_release);
    return *b;
}

SOCKET socket_of(const Rq& rq) noexcept {
    return static_cast<SOCKET>(rq.fd);
}

// Nothing of d is in the system any more: cancelled requests behind it end now, committed ones
// (a retry after a refused submission) go in.
void after_idle_locked(Dir& d) noexcept {
    if (d.head < d.cancel_upto)
        cancel_pending_locked(d);
    if (d.submitted < d.committed)
        native_commit_locked(d);
}

// One request to the system's RQ; a datagram's address slice goes as the system's slice of the
// same region (RIOSendEx / RIOReceiveEx, which report truncation with WSAEMSGSIZE themselves).
BOOL post_native(Dir& d, const Slot& s, RIO_BUF& buf, DWORD flags) noexcept {
    const RIO_RQ rq = d.rq->native_rq;
    if (s.address == nullptr)
        return d.is_send ? sys().RIOSend(rq, &buf, 1, flags, &d)
                         : sys().RIOReceive(rq, &buf, 1, flags, &d);
    RIO_BUF address{system_buffers().id_for(s.address_buffer), 0, s.address_length};
    if (address.BufferId == RIO_INVALID_BUFFERID)
        return FALSE;
    address.Offset = static_cast<ULONG>(s.address - buffer_region(s.address_buffer).base);
    return d.is_send ? sys().RIOSendEx(rq, &buf, 1, nullptr, &address, nullptr, nullptr, flags, &d)
                     : sys().RIOReceiveEx(rq, &buf, 1, nullptr, &address, nullptr, nullptr, flags,
                                          &d) != FALSE;
}

} // namespace

bool native_usable() noexcept {
    return win::native_rio_table() != nullptr;
}

int native_open(Cq& cq) noexcept {
    NativeCq* n = nullptr;
    {
        std::lock_guard lock(g_owners);
        n = g_free_native;
        if (n != nullptr)
            g_free_native = n->next_free;
    }
    if (n == nullptr)
        n = new (std::nothrow) NativeCq;
    if (n == nullptr)
        return wsa::enobufs;
    *n = NativeCq{};
    RIO_NOTIFICATION_COMPLETION notification{};
    notification.Type = RIO_IOCP_COMPLETION;
    notification.Iocp.IocpHandle = completion_port();
    notification.Iocp.CompletionKey = reinterpret_cast<PVOID>(kNativeNotifyKey);
    notification.Iocp.Overlapped = &n->ov;
    n->cq = sys().RIOCreateCompletionQueue(static_cast<DWORD>(cq.ring.size()), &notification);
    int err = n->cq == RIO_INVALID_CQ ? last_error_or(wsa::enobufs) : port_retain();
    std::lock_guard lock(g_owners);
    if (err != 0) {
        if (n->cq != RIO_INVALID_CQ)
            sys().RIOCloseCompletionQueue(n->cq);
        n->next_free = g_free_native;
        g_free_native = n;
        return err;
    }
    n->owner = &cq;
    cq.native = n;
    return 0;
}

void native_close(Cq& cq) noexcept {
    NativeCq* n = cq.native;
    {
        std::lock_guard lock(g_owners);
        sys().RIOCloseCompletionQueue(n->cq);
        n->owner = nullptr;
        n->next_free = g_free_native;
        g_free_native = n;
    }
    cq.native = nullptr;
    port_release();
}

int native_attach(Rq& rq) noexcept {
    rq.native_rq = sys().RIOCreateRequestQueue(socket_of(rq), rq.recv.max, 1, rq.send.max, 1,
                                               rq.recv.cq->native->cq, rq.send.cq->native->cq, &rq);
    return rq.native_rq == RIO_INVALID_RQ ? last_error_or(wsa::einval) : 0;
}

void native_detach(Rq& rq) noexcept {
    // The system frees its RQ with the socket; a double is told now (it sees no closesocket).
    if (const win::CloseRequestQueue close = win::native_rio_close_request_queue())
        close(rq.native_rq);
    rq.native_rq = RIO_INVALID_RQ;
}

void native_commit_locked(Dir& d) noexcept {
    Rq& rq = *d.rq;
    std::lock_guard lock(rq.native_mu);
    bool deferred = false; // requests the system holds with RIO_MSG_DEFER, not yet committed
    while (d.submitted < d.committed) {
        Slot& s = d.slot(d.submitted);
        const RIO_BUFFERID id = system_buffers().id_for(s.buffer);
        const BufferRegion region = buffer_region(s.buffer);
        RIO_BUF buf{id, static_cast<ULONG>(s.data - region.base), s.length};
        const DWORD flags =
            (d.submitted + 1 < d.committed ? RIO_MSG_DEFER : 0) | (s.flags & RIO_MSG_WAITALL);
        const BOOL ok = id != RIO_INVALID_BUFFERID && post_native(d, s, buf, flags);
        if (ok) {
            ++d.submitted;
            ++d.inflight;
            deferred = (flags & RIO_MSG_DEFER) != 0;
            d.cq->submits.fetch_add(flags & RIO_MSG_DEFER ? 0 : 1, std::memory_order_relaxed);
            continue;
        }
        const int err = last_error_or(wsa::enobufs);
        if (deferred) { // what went in before must still run
            if (d.is_send)
                (void)sys().RIOSend(rq.native_rq, nullptr, 0, RIO_MSG_COMMIT_ONLY, nullptr);
            else
                (void)sys().RIOReceive(rq.native_rq, nullptr, 0, RIO_MSG_COMMIT_ONLY, nullptr);
            deferred = false;
        }
        if (d.inflight != 0)
            return; // retried when the ones before it have completed (after_idle_locked)
        complete_head_locked(d, err, 0); // in order: it is the head
    }
}

void native_cancel_locked(Dir& d) noexcept {
    if (d.inflight == 0) {
        cancel_pending_locked(d);
        return;
    }
    CancelIoEx(reinterpret_cast<HANDLE>(socket_of(*d.rq)), nullptr);
}

void native_reap_locked(Cq& cq) noexcept {
    RIORESULT results[64];
    for (;;) {
        const ULONG n = sys().RIODequeueCompletion(cq.native->cq, results, 64);
        if (n == 0 || n == RIO_CORRUPT_CQ)
            return;
        for (ULONG i = 0; i < n; ++i) {
            Dir& d =
                *reinterpret_cast<Dir*>(static_cast<std::uintptr_t>(results[i].RequestContext));
            --d.inflight;
            const LONG status = results[i].Status;
            complete_head_locked(
                d, status == ERROR_OPERATION_ABORTED ? wsa::operation_aborted : status,
                results[i].BytesTransferred);
            if (d.inflight == 0)
                after_idle_locked(d);
        }
        if (n < 64)
            return;
    }
}

void native_arm_locked(Cq& cq) noexcept {
    NativeCq& n = *cq.native;
    if (n.notify_armed)
        return;
    const INT rc = sys().RIONotify(n.cq);
    n.notify_armed = rc == 0 || rc == WSAEALREADY;
}

void native_on_packet(const OVERLAPPED_ENTRY& entry) noexcept {
    auto* n = CONTAINING_RECORD(entry.lpOverlapped, NativeCq, ov);
    std::lock_guard owners(g_owners); // the CQ cannot close meanwhile
    Cq* cq = n->owner;
    if (cq == nullptr)
        return; // a packet for a CQ that has closed
    std::lock_guard lock(cq->mu);
    n->notify_armed = false;
    native_reap_locked(*cq);
    if (cq->armed) // nothing that notifies came yet: keep watching
        native_arm_locked(*cq);
}

int native_resize_cq(Cq& cq, DWORD queue_size) noexcept {
    return sys().RIOResizeCompletionQueue(cq.native->cq, queue_size) ? 0
                                                                     : last_error_or(wsa::enobufs);
}

int native_resize_rq(Rq& rq, ULONG max_receive, ULONG max_send) noexcept {
    std::lock_guard lock(rq.native_mu);
    return sys().RIOResizeRequestQueue(rq.native_rq, max_receive, max_send)
               ? 0
               : last_error_or(wsa::enobufs);
}

void native_forget_buffer(std::uint32_t index) noexcept {
    if (g_buffers_used.load(std::memory_order_acquire)) // the overlapped backend never registers
        system_buffers().forget(index);
}

} // namespace riosp::rio::detail
