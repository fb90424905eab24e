// Address parsing for --listen / --connect (the system's resolver; no riosp headers in this
// file).
#include "os_sockets.h"
#include "transport.h"

#include <charconv>
#include <cstring>

namespace riosp::load {

bool parse_endpoint(const std::string& text, Endpoint& out, std::string& why) {
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            why = "expected [IPv6]:PORT";
            return false;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) {
            why = "expected HOST:PORT";
            return false;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p > 65535) {
        why = "bad port '" + port + "'";
        return false;
    }
    out = Endpoint{};
    out.port = static_cast<std::uint16_t>(p);
    if (host.empty() || host == "*") {
        out.v6 = false; // any IPv4 address
        return true;
    }
    std::string scope;
    if (auto pct = host.find('%'); pct != std::string::npos) {
        scope = host.substr(pct + 1);
        host.resize(pct);
    }
    if (inet_pton(AF_INET, host.c_str(), out.addr.data()) == 1)
        return true;
    if (inet_pton(AF_INET6, host.c_str(), out.addr.data()) == 1) {
        out.v6 = true;
        if (!scope.empty())
            out.scope = scope_index(scope);
        return true;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || res == nullptr) {
        why = "cannot resolve '" + host + "': " + gai_strerror(rc);
        return false;
    }
    bool ok = false;
    for (addrinfo* a = res; a != nullptr && !ok; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            std::memcpy(out.addr.data(), &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, 4);
            ok = true;
        } else if (a->ai_family == AF_INET6) {
            std::memcpy(out.addr.data(), &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr,
                        16);
            out.v6 = true;
            ok = true;
        }
    }
    freeaddrinfo(res);
    if (!ok)
        why = "no IPv4/IPv6 address for '" + host + "'";
    return ok;
}

std::string to_string(const Endpoint& e) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(e.v6 ? AF_INET6 : AF_INET, e.addr.data(), buf, sizeof buf);
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a known false positive) about
    // "literal" + std::string.
    std::string out;
    if (e.v6)
        out += '[';
    out += buf;
    if (e.v6)
        out += ']';
    out += ':';
    out += std::to_string(e.port);
    return out;
}

Endpoint loopback_if_any(Endpoint e) noexcept {
    const std::size_t n = e.v6 ? 16 : 4;
    for (std::size_t i = 0; i < n; ++i)
        if (e.addr[i] != 0)
            return e;
    e.addr = {};
    if (e.v6)
        e.addr[15] = 1; // ::1
    else
        e.addr = {127, 0, 0, 1};
    return e;
}

} // namespace riosp::load
