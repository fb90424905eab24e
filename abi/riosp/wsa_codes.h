// The Windows Sockets error codes, written once: each code's name and value, and a name for any
// code. Everything else that knows a WSA code takes it from here:
//   - Linux: abi/linux/winerror.h defines WSAEINTR, WSA_IO_PENDING, ... from this table (there
//     is no system header to do it);
//   - Windows: the system headers define them, and abi/riosp/spi.h asserts for every entry that
//     they agree with this table (tests/abi also compares the table with MinGW's values);
//   - rio's short names (rio/wsa_error.h) are aliases of those constants;
//   - every message that names a code (the provider's transition log, riosp-load's summary,
//     riosp-install's errors, the benchmarks' skip reasons) calls riosp::wsa::name.
//
// Why in abi/riosp: riosp::abi is the one library every target links (rio, provider, host,
// tools, bench, tests) on both platforms, and this header includes no Windows or Linux header,
// so it can sit beside Linux's socket headers too (rio/, riosp-load's raw baseline), where the
// Windows-layout winsock2.h cannot.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

// X(name, value) for every code, in value order. The Win32 errors Winsock reuses under WSA_*
// names come first. Names are stringified and pasted, never expanded, so the table reads the
// same where the system headers define the names as macros.
#define RIOSP_WSA_CODES(X)                                                                         \
    X(WSA_INVALID_HANDLE, 6)                                                                       \
    X(WSA_NOT_ENOUGH_MEMORY, 8)                                                                    \
    X(WSA_INVALID_PARAMETER, 87)                                                                   \
    X(WSA_OPERATION_ABORTED, 995)                                                                  \
    X(WSA_IO_INCOMPLETE, 996)                                                                      \
    X(WSA_IO_PENDING, 997)                                                                         \
    X(WSAEINTR, 10004)                                                                             \
    X(WSAEBADF, 10009)                                                                             \
    X(WSAEACCES, 10013)                                                                            \
    X(WSAEFAULT, 10014)                                                                            \
    X(WSAEINVAL, 10022)                                                                            \
    X(WSAEMFILE, 10024)                                                                            \
    X(WSAEWOULDBLOCK, 10035)                                                                       \
    X(WSAEINPROGRESS, 10036)                                                                       \
    X(WSAEALREADY, 10037)                                                                          \
    X(WSAENOTSOCK, 10038)                                                                          \
    X(WSAEDESTADDRREQ, 10039)                                                                      \
    X(WSAEMSGSIZE, 10040)                                                                          \
    X(WSAEPROTOTYPE, 10041)                                                                        \
    X(WSAENOPROTOOPT, 10042)                                                                       \
    X(WSAEPROTONOSUPPORT, 10043)                                                                   \
    X(WSAESOCKTNOSUPPORT, 10044)                                                                   \
    X(WSAEOPNOTSUPP, 10045)                                                                        \
    X(WSAEPFNOSUPPORT, 10046)                                                                      \
    X(WSAEAFNOSUPPORT, 10047)                                                                      \
    X(WSAEADDRINUSE, 10048)                                                                        \
    X(WSAEADDRNOTAVAIL, 10049)                                                                     \
    X(WSAENETDOWN, 10050)                                                                          \
    X(WSAENETUNREACH, 10051)                                                                       \
    X(WSAENETRESET, 10052)                                                                         \
    X(WSAECONNABORTED, 10053)                                                                      \
    X(WSAECONNRESET, 10054)                                                                        \
    X(WSAENOBUFS, 10055)                                                                           \
    X(WSAEISCONN, 10056)                                                                           \
    X(WSAENOTCONN, 10057)                                                                          \
    X(WSAESHUTDOWN, 10058)                                                                         \
    X(WSAETOOMANYREFS, 10059)                                                                      \
    X(WSAETIMEDOUT, 10060)                                                                         \
    X(WSAECONNREFUSED, 10061)                                                                      \
    X(WSAELOOP, 10062)                                                                             \
    X(WSAENAMETOOLONG, 10063)                                                                      \
    X(WSAEHOSTDOWN, 10064)                                                                         \
    X(WSAEHOSTUNREACH, 10065)                                                                      \
    X(WSAENOTEMPTY, 10066)                                                                         \
    X(WSAEPROCLIM, 10067)                                                                          \
    X(WSAEUSERS, 10068)                                                                            \
    X(WSAEDQUOT, 10069)                                                                            \
    X(WSAESTALE, 10070)                                                                            \
    X(WSAEREMOTE, 10071)                                                                           \
    X(WSASYSNOTREADY, 10091)                                                                       \
    X(WSAVERNOTSUPPORTED, 10092)                                                                   \
    X(WSANOTINITIALISED, 10093)                                                                    \
    X(WSAEDISCON, 10101)                                                                           \
    X(WSAENOMORE, 10102)                                                                           \
    X(WSAECANCELLED, 10103)                                                                        \
    X(WSAEINVALIDPROCTABLE, 10104)                                                                 \
    X(WSAEINVALIDPROVIDER, 10105)                                                                  \
    X(WSAEPROVIDERFAILEDINIT, 10106)                                                               \
    X(WSASYSCALLFAILURE, 10107)                                                                    \
    X(WSASERVICE_NOT_FOUND, 10108)                                                                 \
    X(WSATYPE_NOT_FOUND, 10109)                                                                    \
    X(WSA_E_NO_MORE, 10110)                                                                        \
    X(WSA_E_CANCELLED, 10111)                                                                      \
    X(WSAEREFUSED, 10112)                                                                          \
    X(WSAHOST_NOT_FOUND, 11001)                                                                    \
    X(WSATRY_AGAIN, 11002)                                                                         \
    X(WSANO_RECOVERY, 11003)                                                                       \
    X(WSANO_DATA, 11004)

namespace riosp::wsa {

struct Code {
    int value;
    std::string_view name;
};

// The table as data, for whoever walks every code (tests).
#define RIOSP_WSA_CODE_ENTRY(name, value) Code{value, #name},
inline constexpr Code codes[] = {RIOSP_WSA_CODES(RIOSP_WSA_CODE_ENTRY)};
#undef RIOSP_WSA_CODE_ENTRY

// The table's name for `code`, empty when the table has none. A switch rather than a search:
// the compiler turns it into a jump table, and rejects two entries with one value.
[[nodiscard]] constexpr std::string_view known_name(int code) noexcept {
    switch (code) {
#define RIOSP_WSA_CODE_CASE(name, value)                                                           \
    case value:                                                                                    \
        return #name;
        RIOSP_WSA_CODES(RIOSP_WSA_CODE_CASE)
#undef RIOSP_WSA_CODE_CASE
    default:
        return {};
    }
}

// A code's name held by value, so that naming a code never allocates (the provider names codes
// in its transition log, on paths that must not): a view of it lives as long as the Name.
class Name {
public:
    // Longest: "WSAEPROVIDERFAILEDINIT" (22) and "WSA error -2147483648" (21), plus the NUL.
    static constexpr std::size_t capacity = 24;

    [[nodiscard]] constexpr std::string_view view() const noexcept { return {text_.data(), size_}; }
    [[nodiscard]] constexpr const char* c_str() const noexcept { return text_.data(); }
    [[nodiscard]] std::string str() const { return std::string(view()); }

private:
    friend constexpr Name name(int code) noexcept;
    constexpr void append(std::string_view s) noexcept {
        for (char c : s)
            if (size_ + 1 < capacity)
                text_[size_++] = c;
    }

    std::array<char, capacity> text_{};
    std::size_t size_ = 0;
};

// "WSAECONNRESET" for 10054; "WSA error 12345" for a code the table does not name.
[[nodiscard]] constexpr Name name(int code) noexcept {
    Name n;
    if (const std::string_view known = known_name(code); !known.empty()) {
        n.append(known);
        return n;
    }
    n.append("WSA error ");
    // Digits from the lowest, in unsigned arithmetic so that INT_MIN has a magnitude too.
    std::array<char, 10> digits{};
    std::size_t count = 0;
    unsigned magnitude = code < 0 ? 0U - static_cast<unsigned>(code) : static_cast<unsigned>(code);
    do {
        digits[count++] = static_cast<char>('0' + magnitude % 10U);
        magnitude /= 10U;
    } while (magnitude != 0U);
    if (code < 0)
        n.append("-");
    while (count != 0)
        n.append(std::string_view(&digits[--count], 1));
    return n;
}

static_assert(
    [] {
        for (const Code& c : codes)
            if (c.name.size() >= Name::capacity)
                return false;
        return true;
    }(),
    "a name in the table is longer than Name holds");

} // namespace riosp::wsa
