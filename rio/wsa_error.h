// The one place where backend errors become WSA codes (docs/design.md, "Errors are translated in
// one place"). Linux backends report negative errno values (io_uring's cqe->res convention) or
// errno; everything above rio/ sees only WSA codes.
#pragma once

#include <cerrno>

// The WSA codes by their Windows names: on Windows from the system header; on Linux from
// abi/linux/winerror.h, which defines them from riosp/wsa_codes.h and, unlike winsock2.h, can
// sit beside Linux's socket headers (winsock2.h's sockaddr/fd_set would clash with them).
#ifdef _WIN32
#include <winsock2.h>
#else
#include <winerror.h>
#endif

namespace riosp::rio {

// Short names for the WSA codes rio/ itself produces; aliases, the values are the table's.
namespace wsa {
inline constexpr int ok = 0;
inline constexpr int operation_aborted = WSA_OPERATION_ABORTED;
inline constexpr int eintr = WSAEINTR;
inline constexpr int efault = WSAEFAULT;
inline constexpr int einval = WSAEINVAL;
inline constexpr int ewouldblock = WSAEWOULDBLOCK;
inline constexpr int ealready = WSAEALREADY;
inline constexpr int enotsock = WSAENOTSOCK;
inline constexpr int emsgsize = WSAEMSGSIZE;
inline constexpr int eopnotsupp = WSAEOPNOTSUPP;
inline constexpr int eafnosupport = WSAEAFNOSUPPORT;
inline constexpr int econnreset = WSAECONNRESET;
inline constexpr int enobufs = WSAENOBUFS;
inline constexpr int etoomanyrefs = WSAETOOMANYREFS;
inline constexpr int etimedout = WSAETIMEDOUT;
} // namespace wsa

// WSA code for a positive errno value (EAGAIN -> WSAEWOULDBLOCK, ECONNRESET -> WSAECONNRESET,
// ...). Unknown values map to WSASYSCALLFAILURE, never to 0.
[[nodiscard]] int wsa_from_errno(int err) noexcept;

// For io_uring results and the like: res < 0 is -errno.
[[nodiscard]] inline int wsa_from_result(int res) noexcept {
    return wsa_from_errno(-res);
}

} // namespace riosp::rio
