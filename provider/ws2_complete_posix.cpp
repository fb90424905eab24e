// Linux: riosp's host is the only ws2_32 there, and it has no WPUCompleteOverlappedRequest
// (the provider signals the event itself, completion.cpp).
#include "completion.h"

namespace riosp::provider {

Ws2CompleteFn resolve_ws2_complete() noexcept {
    return nullptr;
}

} // namespace riosp::provider
