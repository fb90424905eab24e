// Extension functions handed out through WSPIoctl: DisconnectEx
// (SIO_GET_EXTENSION_FUNCTION_POINTER) and the RIO function table bound to provider sockets
// (SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER with WSAID_MULTIPLE_RIO).
#pragma once

#include <riosp/spi.h>

namespace riosp::provider {

[[nodiscard]] int extension_function(DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                                     LPDWORD returned, LPINT lpErrno) noexcept;

} // namespace riosp::provider
