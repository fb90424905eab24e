// The C face: RIO_EXTENSION_FUNCTION_TABLE over the C++ layer. Handles are generation-checked
// table slots so that a closed or invented RIO_CQ / RIO_RQ is an error code, not a crash.
#include <rio/core/detail.h>
#include <rio/rio_table.h>
#include <rio/rio_testing.h>
#include <rio/slot_table.h>

#include <gsl/gsl>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>

namespace riosp::rio {
namespace {

std::atomic<testing::TableHook> g_hook{nullptr};
std::atomic<void*> g_hook_arg{nullptr};

void step(testing::TableStep at) noexcept {
    if (testing::TableHook hook = g_hook.load(std::memory_order_acquire))
        hook(at, g_hook_arg.load(std::memory_order_acquire));
}

// RIO_CQ and RIO_RQ values are handles of a slot table (rio/slot_table.h) holding the object
// itself (a CompletionQueue / RequestQueue is one pointer): creating and closing one through
// the table allocates nothing beyond what rio's C++ layer does (the native backend's tests run
// over this table as their RIO double, and count every allocation).
//
// Closing races with the application's other threads (Windows leaves that undefined; riosp
// answers): every call pins the slot of the handle it found for as long as it uses the object,
// and a close ends the handle's life (later calls fail to find it) but hands the object over for
// destruction only once the pins of the calls that found it before are gone. The closer pins the
// slot itself first, so its own pin is the last: the slot is its to recycle, and no other
// thread ever frees a queue.
template <class T> class HandleTable {
    struct Entry : TableSlot {
        T value;
    };
    using Table = SlotTable<Entry, 4096, 256>;

public:
    // A running call's hold on the object a live handle names (empty when it was not live).
    class Ref {
    public:
        explicit Ref(Entry* e) noexcept : e_(e) {}
        Ref(const Ref&) = delete;
        Ref& operator=(const Ref&) = delete;
        ~Ref() {
            if (e_ != nullptr)
                (void)Table::unpin(*e_); // never the last pin of a retired slot: see close()
        }
        explicit operator bool() const noexcept { return e_ != nullptr; }
        T& operator*() const noexcept { return e_->value; }
        T* operator->() const noexcept { return &e_->value; }

    private:
        Entry* e_;
    };

    // 0 when full (object is then left as it was).
    std::uintptr_t insert(T& object) noexcept {
        Entry* e = table_.acquire();
        if (e == nullptr)
            return 0;
        e->value = std::move(object);
        return static_cast<std::uintptr_t>(table_.publish(*e)); // release: the value is seen
    }

    [[nodiscard]] Ref pin(const void* handle) noexcept { return Ref(pin_entry(handle)); }

    [[nodiscard]] bool is_live(const void* handle) const noexcept {
        return table_.resolve(raw(handle)) != nullptr;
    }
    // Without a pin: for tests only (testing::table_completion_queue).
    [[nodiscard]] T* find(const void* handle) const noexcept {
        Entry* e = table_.resolve(raw(handle));
        return e != nullptr ? &e->value : nullptr;
    }

    // Closes the object a live handle names and moves it into `out`, for the caller to destroy.
    // `decide(object, retire)` runs while the handle is live, under whatever lock it needs, and
    // either calls retire() (from then on no call finds the handle) and returns 0, or returns
    // the error that keeps the handle open. The object is moved out only once every call that
    // found the handle before has let go of it (none blocks: the wait is short). WSAEINVAL: not
    // a live handle (never issued, closed, or another close won).
    template <class Decide> int close(const void* handle, T& out, Decide&& decide) noexcept {
        Entry* e = pin_entry(handle);
        if (e == nullptr)
            return wsa::einval;
        bool retired = false;
        const int err = decide(e->value, [&] {
            bool idle = false;
            retired = table_.retire(raw(handle), idle) != nullptr;
        });
        if (!retired) {
            (void)Table::unpin(*e); // the winning closer still holds its own
            return err != 0 ? err : wsa::einval;
        }
        step(testing::TableStep::closing);
        for (int spins = 0; Table::pins(*e) > 1; ++spins) {
            if (spins < 64)
                std::this_thread::yield();
            else
                std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        out = std::move(e->value);
        const bool last = Table::unpin(*e);
        Ensures(last); // a retired slot takes no new pins: ours was the last
        table_.recycle(*e);
        return 0;
    }

private:
    static std::uint64_t raw(const void* handle) noexcept {
        return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(handle));
    }
    Entry* pin_entry(const void* handle) noexcept {
        bool full = false;
        Entry* e = table_.pin(raw(handle), full);
        while (e == nullptr && full) { // 2^30 - 1 calls on one queue at once: wait for room
            std::this_thread::yield();
            e = table_.pin(raw(handle), full);
        }
        return e;
    }
    Table table_;
};

HandleTable<CompletionQueue>& cq_table() noexcept {
    static auto* t = new HandleTable<CompletionQueue>;
    return *t;
}
HandleTable<RequestQueue>& rq_table() noexcept {
    static auto* t = new HandleTable<RequestQueue>;
    return *t;
}

BOOL fail(int wsa_error) noexcept {
    set_last_error(wsa_error);
    return FALSE;
}

std::span<const RIO_BUF> buffers(const RIO_BUF* data, ULONG count) noexcept {
    return {data, data == nullptr ? 0 : count};
}

// RIOSendEx / RIOReceiveEx's pFlags: riosp reports no per-message flags (a truncated datagram
// is its completion's WSAEMSGSIZE), so a given slice is checked and gets 0, at post time.
int clear_message_flags(const RIO_BUF* msg_flags) noexcept {
    if (msg_flags == nullptr)
        return 0;
    detail::BufferRef ref;
    if (int err = detail::acquire_buffer(*msg_flags, ref); err != 0)
        return err;
    const bool fits = ref.length >= sizeof(DWORD);
    if (fits)
        std::memset(ref.data, 0, sizeof(DWORD));
    detail::release_buffer(ref.index);
    return fits ? 0 : wsa::einval;
}

// Both directions' Ex entry points; the plain ones are these without the extras.
BOOL post_ex(bool send, RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local, PRIO_BUF remote,
             PRIO_BUF control, PRIO_BUF msg_flags, DWORD flags, PVOID context) noexcept {
    // pLocalAddress is reserved on Windows too; control data (ancillary messages) is not carried.
    if (local != nullptr || control != nullptr)
        return fail(wsa::einval);
    const auto q = rq_table().pin(rq);
    if (!q)
        return fail(wsa::einval);
    step(testing::TableStep::in_call);
    if (data == nullptr && count != 0)
        return fail(wsa::efault);
    if (int err = clear_message_flags(msg_flags); err != 0)
        return fail(err);
    const int err = send ? q->send_ex(buffers(data, count), remote, flags, context)
                         : q->receive_ex(buffers(data, count), remote, flags, context);
    return err == 0 ? TRUE : fail(err);
}

BOOL PASCAL rio_receive(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID context) {
    return post_ex(false, rq, data, count, nullptr, nullptr, nullptr, nullptr, flags, context);
}

int PASCAL rio_receive_ex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local, PRIO_BUF remote,
                          PRIO_BUF control, PRIO_BUF msg_flags, DWORD flags, PVOID context) {
    return post_ex(false, rq, data, count, local, remote, control, msg_flags, flags, context);
}

BOOL PASCAL rio_send(RIO_RQ rq, PRIO_BUF data, ULONG count, DWORD flags, PVOID context) {
    return post_ex(true, rq, data, count, nullptr, nullptr, nullptr, nullptr, flags, context);
}

BOOL PASCAL rio_send_ex(RIO_RQ rq, PRIO_BUF data, ULONG count, PRIO_BUF local, PRIO_BUF remote,
                        PRIO_BUF control, PRIO_BUF msg_flags, DWORD flags, PVOID context) {
    return post_ex(true, rq, data, count, local, remote, control, msg_flags, flags, context);
}

VOID PASCAL rio_close_cq(RIO_CQ cq) {
    CompletionQueue closed; // destroyed last, in this thread
    const int err = cq_table().close(cq, closed, [](CompletionQueue& q, auto retire) {
        // Closing a CQ that request queues still use would leave them dangling: refuse. Decided
        // under the CQ's lock, which an RQ attaches under: an RQ created meanwhile either is
        // seen here or sees the handle closed (rio_create_rq).
        std::lock_guard lock(q.native()->mu);
        if (q.native()->attached != 0)
            return wsa::etoomanyrefs;
        retire();
        return 0;
    });
    if (err != 0)
        set_last_error(err);
}

RIO_CQ insert_cq(CompletionQueue cq) noexcept {
    const std::uintptr_t handle = cq_table().insert(cq);
    if (handle == 0) {
        set_last_error(wsa::enobufs);
        return RIO_INVALID_CQ;
    }
    return reinterpret_cast<RIO_CQ>(handle);
}

RIO_CQ create_cq(DWORD size, PRIO_NOTIFICATION_COMPLETION notification,
                 const CqOptions& options) noexcept {
    auto created = CompletionQueue::create(size, notification, options);
    if (!created) {
        set_last_error(created.error());
        return RIO_INVALID_CQ;
    }
    return insert_cq(std::move(created).value());
}

RIO_CQ PASCAL rio_create_cq(DWORD size, PRIO_NOTIFICATION_COMPLETION notification) {
    return create_cq(size, notification, detail::table_cq_options(notification));
}

// testing::function_table_on's: a C function pointer cannot carry its backend, a template can.
template <Backend B>
RIO_CQ PASCAL rio_create_cq_on(DWORD size, PRIO_NOTIFICATION_COMPLETION notification) {
    CqOptions options = detail::table_cq_options(notification);
    options.backend = B;
    return create_cq(size, notification, options);
}

RIO_RQ PASCAL rio_create_rq(SOCKET socket, ULONG max_recv, ULONG max_recv_buffers, ULONG max_send,
                            ULONG max_send_buffers, RIO_CQ receive_cq, RIO_CQ send_cq,
                            PVOID socket_context) {
    const auto rc = cq_table().pin(receive_cq);
    const auto sc = cq_table().pin(send_cq);
    // On Linux a SOCKET carries a descriptor: anything above INT_MAX cannot be one.
    const bool fits = sizeof(net::NativeSocket) >= sizeof(SOCKET) || socket <= 0x7FFFFFFF;
    if (!rc || !sc || !fits) {
        set_last_error(wsa::einval);
        return RIO_INVALID_RQ;
    }
    step(testing::TableStep::in_call);
    auto created =
        RequestQueue::create(static_cast<net::NativeSocket>(socket), max_recv, max_recv_buffers,
                             max_send, max_send_buffers, *rc, *sc, socket_context);
    if (!created) {
        set_last_error(created.error());
        return RIO_INVALID_RQ;
    }
    RequestQueue q = std::move(created).value(); // destroyed before the CQs' pins go
    // A close of either CQ that found no RQ attached before this one attached (both under the
    // CQ's lock) has closed its handle by now, and waits for this call: undo the attachment
    // rather than leave an RQ on a CQ that is going.
    if (!cq_table().is_live(receive_cq) || !cq_table().is_live(send_cq)) {
        set_last_error(wsa::einval);
        return RIO_INVALID_RQ;
    }
    const std::uintptr_t handle = rq_table().insert(q);
    if (handle == 0) {
        set_last_error(wsa::enobufs);
        return RIO_INVALID_RQ;
    }
    return reinterpret_cast<RIO_RQ>(handle);
}

ULONG PASCAL rio_dequeue(RIO_CQ cq, PRIORESULT array, ULONG size) {
    const auto q = cq_table().pin(cq);
    if (!q) {
        set_last_error(wsa::einval);
        return RIO_CORRUPT_CQ;
    }
    if (array == nullptr && size != 0) {
        set_last_error(wsa::efault);
        return RIO_CORRUPT_CQ;
    }
    step(testing::TableStep::in_call);
    return q->dequeue({array, array == nullptr ? 0 : size});
}

VOID PASCAL rio_deregister_buffer(RIO_BUFFERID id) {
    if (int err = deregister_buffer(id); err != 0)
        set_last_error(err);
}

INT PASCAL rio_notify(RIO_CQ cq) {
    const auto q = cq_table().pin(cq);
    if (q)
        step(testing::TableStep::in_call);
    const int err = !q ? wsa::einval : q->notify();
    if (err != 0)
        set_last_error(err);
    return err; // RIONotify returns the error code itself
}

RIO_BUFFERID PASCAL rio_register_buffer(PCHAR data, DWORD length) {
    auto id = register_buffer({data, data == nullptr ? 0 : length});
    if (!id) {
        set_last_error(id.error());
        return RIO_INVALID_BUFFERID;
    }
    return id.value();
}

BOOL PASCAL rio_resize_cq(RIO_CQ cq, DWORD size) {
    const auto q = cq_table().pin(cq);
    if (!q)
        return fail(wsa::einval);
    step(testing::TableStep::in_call);
    if (int err = q->resize(size); err != 0)
        return fail(err);
    return TRUE;
}

BOOL PASCAL rio_resize_rq(RIO_RQ rq, DWORD max_recv, DWORD max_send) {
    const auto q = rq_table().pin(rq);
    if (!q)
        return fail(wsa::einval);
    step(testing::TableStep::in_call);
    if (int err = q->resize(max_recv, max_send); err != 0)
        return fail(err);
    return TRUE;
}

} // namespace

// Windows closes an RQ with its socket (closesocket); riosp's provider does it through this.
// It waits for the calls that found the RQ (a post running in another thread), and destroys it
// in this thread: cancelled, waited for, detached (RequestQueue's dtor).
void close_request_queue(RIO_RQ rq) noexcept {
    RequestQueue closed;
    (void)rq_table().close(rq, closed, [](RequestQueue&, auto retire) {
        retire();
        return 0;
    });
}

namespace {
constexpr RIO_EXTENSION_FUNCTION_TABLE
table_creating_cqs_with(LPFN_RIOCREATECOMPLETIONQUEUE create_cq) noexcept {
    return {
        sizeof(RIO_EXTENSION_FUNCTION_TABLE),
        rio_receive,
        rio_receive_ex,
        rio_send,
        rio_send_ex,
        rio_close_cq,
        create_cq,
        rio_create_rq,
        rio_dequeue,
        rio_deregister_buffer,
        rio_notify,
        rio_register_buffer,
        rio_resize_cq,
        rio_resize_rq,
    };
}
} // namespace

const RIO_EXTENSION_FUNCTION_TABLE& function_table() noexcept {
    static const RIO_EXTENSION_FUNCTION_TABLE table = table_creating_cqs_with(rio_create_cq);
    return table;
}

namespace testing {
void set_table_hook(TableHook hook, void* arg) noexcept {
    g_hook_arg.store(arg, std::memory_order_release);
    g_hook.store(hook, std::memory_order_release);
}
const RIO_EXTENSION_FUNCTION_TABLE& function_table_on(Backend backend) noexcept {
    static const RIO_EXTENSION_FUNCTION_TABLE tables[] = {
        table_creating_cqs_with(rio_create_cq_on<Backend::uring>),
        table_creating_cqs_with(rio_create_cq_on<Backend::epoll>),
        table_creating_cqs_with(rio_create_cq_on<Backend::native>),
        table_creating_cqs_with(rio_create_cq_on<Backend::overlapped>),
    };
    return tables[static_cast<std::size_t>(backend)];
}
RIO_CQ adopt_completion_queue(CompletionQueue cq) noexcept {
    return insert_cq(std::move(cq));
}
CompletionQueue* table_completion_queue(RIO_CQ cq) noexcept {
    return cq_table().find(cq);
}
} // namespace testing

} // namespace riosp::rio
