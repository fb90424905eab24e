// Names and histogram summaries.
#include "stats.h"

namespace riosp::load {

const char* name_of(Plan p) noexcept {
    switch (p) {
    case Plan::graceful:
        return "graceful";
    case Plan::rude_client_aborts:
        return "rude-client-aborts";
    case Plan::rude_server_aborts:
        return "rude-server-aborts";
    }
    return "?";
}
const char* name_of(Side s) noexcept {
    return s == Side::client ? "client" : "server";
}
const char* name_of(Outcome o) noexcept {
    switch (o) {
    case Outcome::ok:
        return "ok";
    case Outcome::wsa_error:
        return "wsa-error";
    case Outcome::data_error:
        return "data-error";
    case Outcome::shutdown_error:
        return "shutdown-error";
    }
    return "?";
}

LatencySummary summarize(const Histogram& h) {
    LatencySummary s;
    s.count = h.count();
    s.p50 = h.quantile(0.50);
    s.p99 = h.quantile(0.99);
    s.p999 = h.quantile(0.999);
    s.max = h.max();
    s.mean = h.mean();
    h.for_each_bucket([&](std::uint64_t value, std::uint64_t samples) {
        s.buckets.emplace_back(value, samples);
    });
    return s;
}

} // namespace riosp::load
