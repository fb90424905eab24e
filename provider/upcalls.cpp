#include "upcalls.h"

namespace riosp::provider {
namespace {
WSPUPCALLTABLE g_upcalls{};
} // namespace

void set_upcalls(const WSPUPCALLTABLE& table) noexcept {
    g_upcalls = table;
}
const WSPUPCALLTABLE& upcalls() noexcept {
    return g_upcalls;
}

void signal_event(WSAEVENT event) noexcept {
    if (event == nullptr || g_upcalls.lpWPUSetEvent == nullptr)
        return;
    int err = 0;
    (void)g_upcalls.lpWPUSetEvent(event, &err);
}

} // namespace riosp::provider
