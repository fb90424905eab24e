// rio/-internal, Windows: the two Windows backends that backends_win.cpp dispatches to.
// Not part of the contract.
#pragma once

#include <rio/detail.h>

namespace riosp::rio::detail {

// ------------------------------------------------------------------ overlapped backend
// backend_overlapped_win.cpp: WSASend/WSARecv through one process-wide completion port.
[[nodiscard]] int overlapped_open(Cq& cq) noexcept; // starts the port's thread (first CQ)
void overlapped_close(Cq& cq) noexcept;             // stops it (last CQ)
[[nodiscard]] int overlapped_attach(Rq& rq) noexcept;
[[nodiscard]] bool overlapped_detach(Rq& rq) noexcept;
void overlapped_commit_locked(Dir& d) noexcept;
void overlapped_cancel_locked(Dir& d) noexcept;

} // namespace riosp::rio::detail
