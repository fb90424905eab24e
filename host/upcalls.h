// The upcall table (WSPUPCALLTABLE) the host hands to WSPStartup.
#pragma once

#include <riosp/spi.h>

namespace riosp::host {
[[nodiscard]] WSPUPCALLTABLE upcall_table() noexcept;
} // namespace riosp::host
