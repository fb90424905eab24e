#include "completion.h"

#include "upcalls.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace riosp::provider {
namespace {

// WSPGetOverlappedResult(fWait) sleeps here; completions notify only when someone waits.
std::mutex g_wait_mutex;
std::condition_variable g_wait_cv;
std::atomic<int> g_waiters{0};

// Internal while an operation is in flight: WSS_OPERATION_IN_PROGRESS (ws2spi.h; the kernel's
// STATUS_PENDING), what Windows documents for non-IFS providers and what the application's
// HasOverlappedIoCompleted tests.
constexpr ULONG_PTR operation_in_progress = 0x103;

std::atomic_ref<ULONG_PTR> status_of(const WSAOVERLAPPED* ov) noexcept {
    return std::atomic_ref<ULONG_PTR>(const_cast<WSAOVERLAPPED*>(ov)->Internal);
}

// A completed operation whose routine waits for its thread's alertable wait carries the routine
// in Internal (any value but WSS_OPERATION_IN_PROGRESS means "done" there; the result is in the
// other fields already), so the APC's context is the WSAOVERLAPPED itself, which the application
// keeps valid until its routine has run. No record is needed: however many routines wait, none
// is dropped, and completing one allocates nothing.
void WSPAPI run_completion_routine(DWORD_PTR context) {
    auto* ov = reinterpret_cast<LPWSAOVERLAPPED>(context);
    const auto routine = reinterpret_cast<LPWSAOVERLAPPED_COMPLETION_ROUTINE>(
        status_of(ov).load(std::memory_order_acquire));
    status_of(ov).store(0, std::memory_order_relaxed);
    routine(ov->OffsetHigh, static_cast<DWORD>(ov->InternalHigh), ov, ov->Offset);
}

Ws2CompleteFn& ws2_complete() noexcept {
    static Ws2CompleteFn fn = resolve_ws2_complete();
    return fn;
}

// Reports the completion to ws2_32, which then owns Internal and the notification. False when
// it cannot: no such export, or it refuses the handle (riosp's host makes its own handles;
// Wine's export is a stub that answers WSAEINVAL, and returns 0 all the same).
bool report_to_ws2(const PendingOp& op, int error, DWORD bytes) noexcept {
    const Ws2CompleteFn fn = ws2_complete();
    if (fn == nullptr || op.handle == INVALID_SOCKET)
        return false;
    int err = 0;
    return fn(op.handle, op.ov, static_cast<DWORD>(error), bytes, &err) == 0 && err == 0;
}

} // namespace

void set_ws2_complete_for_testing(Ws2CompleteFn fn) noexcept {
    ws2_complete() = fn;
}

void mark_pending(LPWSAOVERLAPPED ov) noexcept {
    ov->InternalHigh = 0;
    status_of(ov).store(operation_in_progress, std::memory_order_release);
}

void complete_overlapped(PendingOp& op, int error, DWORD bytes) noexcept {
    LPWSAOVERLAPPED ov = op.ov;
    ov->InternalHigh = bytes;
    ov->Offset = op.flags;
    ov->OffsetHigh = static_cast<DWORD>(error);
    if (op.routine != nullptr) {
        // seq_cst pairs with the waiter count below (a store-then-load on each side).
        status_of(ov).store(reinterpret_cast<ULONG_PTR>(op.routine), std::memory_order_seq_cst);
        int err = 0;
        if (upcalls().lpWPUQueueApc(&op.thread, run_completion_routine,
                                    reinterpret_cast<DWORD_PTR>(ov), &err) != 0)
            // The thread is gone (Windows cancels an exited thread's I/O): nobody can run the
            // routine; the result stays readable through WSPGetOverlappedResult.
            status_of(ov).store(0, std::memory_order_seq_cst);
    } else if (!report_to_ws2(op, error, bytes)) {
        // The event is read before the result is published: an application polling
        // WSPGetOverlappedResult may free its WSAOVERLAPPED the moment it sees the result.
        WSAEVENT event = ov->hEvent;
        status_of(ov).store(0, std::memory_order_seq_cst); // no longer in progress
        signal_event(event);
    }
    if (g_waiters.load(std::memory_order_seq_cst) > 0) {
        std::lock_guard lock(g_wait_mutex);
        g_wait_cv.notify_all();
    }
}

int overlapped_status(const WSAOVERLAPPED* ov) noexcept {
    // Internal says whether it is done (ws2_32 may write its own value there); OffsetHigh holds
    // the result, written before.
    if (status_of(ov).load(std::memory_order_acquire) == operation_in_progress)
        return WSA_IO_PENDING;
    return static_cast<int>(ov->OffsetHigh);
}
DWORD overlapped_bytes(const WSAOVERLAPPED* ov) noexcept {
    (void)overlapped_status(ov); // acquire: bytes were written before the status
    return static_cast<DWORD>(ov->InternalHigh);
}
DWORD overlapped_flags(const WSAOVERLAPPED* ov) noexcept {
    (void)overlapped_status(ov);
    return ov->Offset;
}

void wait_overlapped(const WSAOVERLAPPED* ov) noexcept {
    g_waiters.fetch_add(1, std::memory_order_seq_cst);
    {
        std::unique_lock lock(g_wait_mutex);
        while (status_of(ov).load(std::memory_order_seq_cst) == operation_in_progress)
            g_wait_cv.wait_for(lock, std::chrono::milliseconds(10));
    }
    g_waiters.fetch_sub(1, std::memory_order_seq_cst);
}

} // namespace riosp::provider
