// The one place where backend errors become WSA codes (docs/design.md, "Errors are translated in
// one place"). Linux backends report negative errno values (io_uring's cqe->res convention) or
// errno; everything above rio/ sees only WSA codes.
#pragma once

#include <cerrno>

namespace riosp::rio {

// The WSA codes rio/ itself produces, spelled out because rio/ sits beside Linux system headers
// and cannot include the Windows-layout winsock2.h (its sockaddr/fd_set would clash). Values
// are the Windows ones; tests/rio checks them against abi/linux/winsock2.h.
namespace wsa {
inline constexpr int ok = 0;
inline constexpr int operation_aborted = 995; // WSA_OPERATION_ABORTED
inline constexpr int eintr = 10004;           // WSAEINTR
inline constexpr int efault = 10014;          // WSAEFAULT
inline constexpr int einval = 10022;          // WSAEINVAL
inline constexpr int ewouldblock = 10035;     // WSAEWOULDBLOCK
inline constexpr int ealready = 10037;        // WSAEALREADY
inline constexpr int enotsock = 10038;        // WSAENOTSOCK
inline constexpr int eopnotsupp = 10045;      // WSAEOPNOTSUPP
inline constexpr int econnreset = 10054;      // WSAECONNRESET
inline constexpr int enobufs = 10055;         // WSAENOBUFS
inline constexpr int etoomanyrefs = 10059;    // WSAETOOMANYREFS
inline constexpr int etimedout = 10060;       // WSAETIMEDOUT
} // namespace wsa

// WSA code for a positive errno value (EAGAIN -> WSAEWOULDBLOCK, ECONNRESET -> WSAECONNRESET,
// ...). Unknown values map to WSAEINVAL's neighbour WSASYSCALLFAILURE (10107), never to 0.
[[nodiscard]] int wsa_from_errno(int err) noexcept;

// For io_uring results and the like: res < 0 is -errno.
[[nodiscard]] inline int wsa_from_result(int res) noexcept {
    return wsa_from_errno(-res);
}

} // namespace riosp::rio
