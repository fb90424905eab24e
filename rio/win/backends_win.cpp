// Windows: what core/ asks of a CQ's backend (core/detail.h), dispatched to the native RIO backend
// (backend_native_win.cpp) or the overlapped one (backend_overlapped_win.cpp), plus what
// RIONotify signals: an event object, or a packet on the application's completion port.
#include <rio/win/detail_win.h>
#include <rio/win/native_rio_win.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace riosp::rio {
namespace detail {

namespace {
bool native(const Cq& cq) noexcept {
    return cq.backend == Backend::native;
}
} // namespace

Backend choose_backend() noexcept {
    // The overlapped backend is the default even where the system has RIO: it is the one the
    // suite runs in CI (under Wine); the native one is opt-in until it has run on Windows.
    const win::NativeRioProbe& probe = win::native_rio();
    const char* forced = std::getenv("RIOSP_RIO_BACKEND");
    const bool want_native = forced != nullptr && std::strcmp(forced, "native") == 0;
    Backend chosen = Backend::overlapped;
    std::string line;
    if (win::native_rio_is_double() && want_native) {
        chosen = Backend::native;
        line = "riosp: rio backend native (forced by RIOSP_RIO_BACKEND=native; over a test's RIO "
               "table double, not the system's)";
    } else if (probe.available && want_native) {
        chosen = Backend::native;
        line = "riosp: rio backend native (forced by RIOSP_RIO_BACKEND=native; WSAID_MULTIPLE_RIO "
               "function table)";
    } else if (probe.available) {
        line = "riosp: rio backend overlapped (native RIO table found; the native backend is "
               "opt-in: RIOSP_RIO_BACKEND=native)";
    } else {
        line = win::describe(probe);
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    return chosen;
}

bool platform_backend_available(Backend backend) noexcept {
    return backend == Backend::overlapped || (backend == Backend::native && native_usable());
}

bool single_owner_supported(Backend) noexcept {
    return false;
}

int socket_kind(net::NativeSocket s, bool& datagram) noexcept {
    int type = 0;
    int len = sizeof type;
    if (getsockopt(static_cast<SOCKET>(s), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type),
                   &len) != 0)
        return WSAGetLastError() != 0 ? WSAGetLastError() : wsa::enotsock;
    datagram = type == SOCK_DGRAM;
    return type == SOCK_STREAM || datagram ? 0 : wsa::eopnotsupp;
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
    return native(cq) ? native_open(cq) : overlapped_open(cq);
}

void backend_close(Cq& cq) noexcept {
    if (native(cq))
        native_close(cq);
    else
        overlapped_close(cq);
}

bool backend_may_complete(Cq& cq) noexcept {
    // Overlapped: the port's thread queues every completion, an empty ring is the whole
    // answer. Native: completions wait in the system CQ until someone reaps it.
    return native(cq) || cq.queued.load(std::memory_order_relaxed) != 0;
}

void backend_reap_locked(Cq& cq) noexcept {
    if (native(cq))
        native_reap_locked(cq);
}

void backend_arm_locked(Cq& cq) noexcept {
    // Overlapped completions signal an armed CQ as they are queued; native ones must be
    // reaped from the system CQ first, which its notification to the port asks for.
    if (native(cq))
        native_arm_locked(cq);
}

void backend_commit_locked(Dir& d) noexcept {
    if (native(*d.cq))
        native_commit_locked(d);
    else
        overlapped_commit_locked(d);
}

void backend_cancel_locked(Dir& d) noexcept {
    if (native(*d.cq))
        native_cancel_locked(d);
    else
        overlapped_cancel_locked(d);
}

void backend_wait_begin_locked(Cq& cq) noexcept {
    backend_arm_locked(cq);
}

void backend_sleep(Cq& cq, int timeout_ms) noexcept {
    const HANDLE event = cq.notification.Event.EventHandle;
    if (WaitForSingleObject(event, timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms)) ==
        WAIT_OBJECT_0)
        ResetEvent(event);
}

void backend_wait_end_locked(Cq&) noexcept {}

int backend_attach(Rq& rq) noexcept {
    return native(*rq.recv.cq) ? native_attach(rq) : overlapped_attach(rq);
}

void backend_pause(Cq&) noexcept {
    // Overlapped: the port's thread takes the packets; native: the next reap looks again.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void backend_detach(Rq& rq) noexcept {
    if (native(*rq.recv.cq))
        native_detach(rq); // nothing to undo for overlapped: the port association stays
}

void backend_forget_buffer(std::uint32_t index) noexcept {
    native_forget_buffer(index);
}

std::size_t backend_fixed_buffers(const Cq&) noexcept {
    return 0;
}

int backend_resize_cq(Cq& cq, DWORD queue_size) noexcept {
    return native(cq) ? native_resize_cq(cq, queue_size) : 0;
}

int backend_resize_rq(Rq& rq, ULONG max_receive, ULONG max_send) noexcept {
    return native(*rq.recv.cq) ? native_resize_rq(rq, max_receive, max_send) : 0;
}

} // namespace detail

namespace testing {
bool uring_send_takes_fixed_buffers() noexcept {
    return false;
}
std::uint64_t progress_thread_dispatches(Backend) noexcept {
    return 0; // the completion port's thread is not counted
}
} // namespace testing

} // namespace riosp::rio
