// Hooks for tests only: they simulate application misuse that the real RIO cannot prevent
// either (on Windows the CQ lives in memory the application can scribble on).
#pragma once

#include <rio/rio.h>

namespace riosp::rio::testing {

// Overwrites the CQ's header canary, as a stray write into the queue's memory would.
void scribble_cq_header(CompletionQueue& cq) noexcept;

} // namespace riosp::rio::testing

namespace riosp::rio::testing {

// Destroyed RQs the pool keeps for the next creates (request_queue.cpp), and the CQs alive in
// the process: the last CQ to close empties the pool.
[[nodiscard]] std::size_t pooled_request_queues() noexcept;
[[nodiscard]] std::size_t live_completion_queues() noexcept;

// Whether the RQ's io_uring requests name its socket through the ring's fixed-file table.
[[nodiscard]] bool uses_fixed_file(const RequestQueue& rq) noexcept;

// Regions entered in the CQ's io_uring buffer table right now (0 on epoll).
[[nodiscard]] std::size_t registered_fixed_buffers(const CompletionQueue& cq) noexcept;
// Whether this kernel's IORING_OP_SEND takes registered buffers (probed once).
[[nodiscard]] bool uring_send_takes_fixed_buffers() noexcept;
// Linux backends: the system calls rio's I/O path made for the CQ's requests so far
// (io_uring_enter; send, recv, sendmsg, recvmsg, sendmmsg). Windows: 0.
[[nodiscard]] std::uint64_t io_system_calls(const CompletionQueue& cq) noexcept;
// Targets the backend's progress thread has dispatched so far (Linux; 0 elsewhere).
[[nodiscard]] std::uint64_t progress_thread_dispatches(Backend backend) noexcept;
// Completions in the CQ's own ring now, without looking at the kernel (dequeue would reap).
[[nodiscard]] std::size_t queued_completions(const CompletionQueue& cq) noexcept;

} // namespace riosp::rio::testing

namespace riosp::rio::testing {

// The C table's RIO_CQ for a CompletionQueue made in C++ (so that a test picks its backend;
// RIOCreateCompletionQueue uses the process's), closed with RIOCloseCompletionQueue; and the
// CompletionQueue behind a table's RIO_CQ (nullptr for none).
[[nodiscard]] RIO_CQ adopt_completion_queue(CompletionQueue cq) noexcept;
[[nodiscard]] CompletionQueue* table_completion_queue(RIO_CQ cq) noexcept;

} // namespace riosp::rio::testing

namespace riosp::rio::testing {

// The C table's steps where a test may hold a call up (rio_table.cpp), so that a race happens
// at the one point where it matters. `in_call`: a call (RIODequeueCompletion, RIONotify, a
// resize, a send or receive, RIOCreateRequestQueue) found its queues and is about to use them;
// `closing`: RIOCloseCompletionQueue or close_request_queue decided to close, and the queue is
// about to go. The hook runs in the calling thread, at every such step of every thread, until
// it is removed (nullptr). Nothing but a load when no hook is set.
enum class TableStep { in_call, closing };
using TableHook = void (*)(TableStep step, void* arg);
void set_table_hook(TableHook hook, void* arg) noexcept;

} // namespace riosp::rio::testing

namespace riosp::rio::testing {

// riosp's own table (rio_table.h) with RIOCreateCompletionQueue bound to `backend` instead of
// active_backend(): the RIO table double stands behind the native backend on this, bound to
// the overlapped backend, so that its CQs never become native CQs over themselves.
[[nodiscard]] const RIO_EXTENSION_FUNCTION_TABLE& function_table_on(Backend backend) noexcept;

#if defined(_WIN32)
// The native backend's one seam (rio/win/native_rio_win.h): it drives `table` instead of the
// system's RIO from now on (nullptr: the system's again). The system frees a RIO_RQ with its
// socket, which a double cannot see: `close_request_queue` frees the double's RQ when rio lets
// go of it. Call it before the first native CQ exists, and before active_backend() is first
// asked if RIOSP_RIO_BACKEND=native should choose it. Tests under Wine (no RIO) put
// function_table_on(Backend::overlapped) and close_request_queue (rio_table.h) there.
void use_native_rio_table(const RIO_EXTENSION_FUNCTION_TABLE* table,
                          void (*close_request_queue)(RIO_RQ) noexcept) noexcept;
// The same double, standing in only if the system has no RIO table, which is probed when the
// seam is first used rather than now: safe to call where Winsock must not be, as in a DLL's
// start-up under the loader lock (the provider's test DLL, provider/native_rio_double_win.cpp).
void use_native_rio_table_where_missing(const RIO_EXTENSION_FUNCTION_TABLE* table,
                                        void (*close_request_queue)(RIO_RQ) noexcept) noexcept;
#endif

} // namespace riosp::rio::testing
