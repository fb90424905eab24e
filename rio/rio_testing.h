// Hooks for tests only: they simulate application misuse that the real RIO cannot prevent
// either (on Windows the CQ lives in memory the application can scribble on).
#pragma once

#include <rio/rio.h>

namespace riosp::rio::testing {

// Overwrites the CQ's header canary, as a stray write into the queue's memory would.
void scribble_cq_header(CompletionQueue& cq) noexcept;

} // namespace riosp::rio::testing

namespace riosp::rio::testing {

// Whether the RQ's io_uring requests name its socket through the ring's fixed-file table.
[[nodiscard]] bool uses_fixed_file(const RequestQueue& rq) noexcept;

} // namespace riosp::rio::testing
