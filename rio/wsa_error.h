// The one place where backend errors become WSA codes (lessons.md: error translation in one
// place). Linux backends report negative errno values (io_uring's cqe->res convention) or
// errno; everything above rio/ sees only WSA codes.
#pragma once

#include <cerrno>

namespace riosp::rio {

// WSA code for a positive errno value (EAGAIN -> WSAEWOULDBLOCK, ECONNRESET -> WSAECONNRESET,
// ...). Unknown values map to WSAEINVAL's neighbour WSASYSCALLFAILURE (10107), never to 0.
[[nodiscard]] int wsa_from_errno(int err) noexcept;

// For io_uring results and the like: res < 0 is -errno.
[[nodiscard]] inline int wsa_from_result(int res) noexcept {
    return wsa_from_errno(-res);
}

} // namespace riosp::rio
