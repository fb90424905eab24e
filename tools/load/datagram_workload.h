// --protocol udp: verified request/response datagrams between client and server sockets of this
// process, over any Transport (riosp's host API, or plain sockets for --baseline).
#pragma once

#include "options.h"
#include "stats.h"
#include "transport.h"

#include <atomic>

namespace riosp::load {

// Runs one transport's datagram workload (embedded role). `interrupted` ends it early.
[[nodiscard]] Summary run_datagram_workload(Transport& t, const Options& o,
                                            const std::atomic<bool>& interrupted);

} // namespace riosp::load
