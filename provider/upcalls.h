// The upcall table ws2_32 (or riosp's Linux host) handed to WSPStartup, and thin wrappers that
// the rest of the provider calls. Set once by the first WSPStartup, before any socket exists.
#pragma once

#include <riosp/spi.h>

namespace riosp::provider {

void set_upcalls(const WSPUPCALLTABLE& table) noexcept;
[[nodiscard]] const WSPUPCALLTABLE& upcalls() noexcept;

// Signals an application event (WSAEVENT) if one is given; errors are ignored because the
// application owns the event and may have closed it (Windows behaves the same).
void signal_event(WSAEVENT event) noexcept;

} // namespace riosp::provider
