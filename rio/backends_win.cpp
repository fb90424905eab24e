// Windows: what core.cpp asks of a CQ's backend (detail.h), dispatched to the overlapped
// backend (backend_overlapped_win.cpp), plus what RIONotify signals: an event object, or a
// packet on the application's completion port.
#include <rio/detail_win.h>
#include <rio/native_rio_win.h>

#include <cstdio>

namespace riosp::rio {
namespace detail {

Backend choose_backend() noexcept {
    // native_rio() probes once and prints the line that says which backend and why.
    return win::native_rio().available && platform_backend_available(Backend::native)
               ? Backend::native
               : Backend::overlapped;
}

bool platform_backend_available(Backend backend) noexcept {
    return backend == Backend::overlapped;
}

bool single_owner_supported(Backend) noexcept {
    return false;
}

int check_stream_socket(net::NativeSocket s) noexcept {
    int type = 0;
    int len = sizeof type;
    if (getsockopt(static_cast<SOCKET>(s), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type),
                   &len) != 0)
        return WSAGetLastError() != 0 ? WSAGetLastError() : wsa::enotsock;
    return 0;
}

int open_notification(Cq& cq, const CqOptions&) noexcept {
    const RIO_NOTIFICATION_COMPLETION& n = cq.notification;
    if (n.Type == RIO_EVENT_COMPLETION)
        return n.Event.EventHandle != nullptr ? 0 : wsa::einval;
    if (n.Type == RIO_IOCP_COMPLETION)
        return n.Iocp.IocpHandle != nullptr ? 0 : wsa::einval;
    return wsa::einval;
}

void signal_event(Cq& cq) noexcept {
    const RIO_NOTIFICATION_COMPLETION& n = cq.notification;
    if (n.Type == RIO_EVENT_COMPLETION)
        SetEvent(n.Event.EventHandle);
    else
        PostQueuedCompletionStatus(n.Iocp.IocpHandle, 0,
                                   reinterpret_cast<ULONG_PTR>(n.Iocp.CompletionKey),
                                   static_cast<LPOVERLAPPED>(n.Iocp.Overlapped));
}

void reset_event(Cq& cq) noexcept {
    if (cq.notification.Type == RIO_EVENT_COMPLETION)
        ResetEvent(cq.notification.Event.EventHandle);
}

bool can_wait(const Cq& cq) noexcept {
    return cq.has_notification && cq.notification.Type == RIO_EVENT_COMPLETION;
}

int backend_open(Cq& cq) noexcept {
    return overlapped_open(cq);
}

void backend_close(Cq& cq) noexcept {
    overlapped_close(cq);
}

bool backend_may_complete(Cq& cq) noexcept {
    // The port's thread queues every completion: an empty ring is the whole answer.
    return cq.queued.load(std::memory_order_relaxed) != 0;
}

void backend_reap_locked(Cq&) noexcept {}

void backend_arm_locked(Cq&) noexcept {} // completions signal an armed CQ as they are queued

void backend_commit_locked(Dir& d) noexcept {
    overlapped_commit_locked(d);
}

void backend_cancel_locked(Dir& d) noexcept {
    overlapped_cancel_locked(d);
}

void backend_wait_begin_locked(Cq&) noexcept {}

void backend_sleep(Cq& cq, int timeout_ms) noexcept {
    const HANDLE event = cq.notification.Event.EventHandle;
    if (WaitForSingleObject(event, timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms)) ==
        WAIT_OBJECT_0)
        ResetEvent(event);
}

void backend_wait_end_locked(Cq&) noexcept {}

int backend_attach(Rq& rq) noexcept {
    return overlapped_attach(rq);
}

bool backend_detach(Rq& rq) noexcept {
    return overlapped_detach(rq);
}

void backend_forget_buffer(std::uint32_t) noexcept {}

std::size_t backend_fixed_buffers(const Cq&) noexcept {
    return 0;
}

} // namespace detail

namespace testing {
bool uring_send_takes_fixed_buffers() noexcept {
    return false;
}
} // namespace testing

} // namespace riosp::rio
