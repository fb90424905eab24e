// rio/-internal, Windows: the process's completion port and the two Windows backends that
// backends_win.cpp dispatches to. Not part of the contract.
#pragma once

#include <rio/core/detail.h>

namespace riosp::rio::detail {

// ------------------------------------------------------------------ completion port (port_win.cpp)
// Packet keys: overlapped WSASend/WSARecv of the overlapped backend, native RIO notifications,
// and the packet that stops the port's thread.
inline constexpr ULONG_PTR kOverlappedKey = 0;
inline constexpr ULONG_PTR kStopKey = 1;
inline constexpr ULONG_PTR kNativeNotifyKey = 2;
[[nodiscard]] HANDLE completion_port() noexcept;
[[nodiscard]] int port_retain() noexcept; // the first starts the port's thread
void port_release() noexcept;             // the last stops and joins it

// ------------------------------------------------------------------ overlapped backend
// backend_overlapped_win.cpp: WSASend/WSARecv through the completion port.
[[nodiscard]] int overlapped_open(Cq& cq) noexcept;
void overlapped_close(Cq& cq) noexcept;
[[nodiscard]] int overlapped_attach(Rq& rq) noexcept;
void overlapped_commit_locked(Dir& d) noexcept;
void overlapped_cancel_locked(Dir& d) noexcept;
void overlapped_on_packet(const OVERLAPPED_ENTRY& entry) noexcept; // the port's thread

// ------------------------------------------------------------------ native RIO backend
// backend_native_win.cpp: the system's own RIO table (native_rio_win.h).
[[nodiscard]] bool native_usable() noexcept; // the table was found
[[nodiscard]] int native_open(Cq& cq) noexcept;
void native_close(Cq& cq) noexcept;
[[nodiscard]] int native_attach(Rq& rq) noexcept;
void native_detach(Rq& rq) noexcept;
void native_commit_locked(Dir& d) noexcept;
void native_cancel_locked(Dir& d) noexcept;
void native_reap_locked(Cq& cq) noexcept;
void native_arm_locked(Cq& cq) noexcept;
[[nodiscard]] int native_resize_cq(Cq& cq, DWORD queue_size) noexcept;
[[nodiscard]] int native_resize_rq(Rq& rq, ULONG max_receive, ULONG max_send) noexcept;
void native_forget_buffer(std::uint32_t index) noexcept;
void native_on_packet(const OVERLAPPED_ENTRY& entry) noexcept; // the port's thread

} // namespace riosp::rio::detail
