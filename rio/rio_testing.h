// Hooks for tests only: they simulate application misuse that the real RIO cannot prevent
// either (on Windows the CQ lives in memory the application can scribble on).
#pragma once

#include <rio/rio.h>

namespace riosp::rio::testing {

// Overwrites the CQ's header canary, as a stray write into the queue's memory would.
void scribble_cq_header(CompletionQueue& cq) noexcept;

} // namespace riosp::rio::testing
