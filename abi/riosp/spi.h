// The one place that picks the SPI headers: the Windows SDK's on Windows, riosp's
// Windows-layout compat headers (abi/linux) elsewhere. Everything in provider/ includes this.
#pragma once

#ifdef _WIN32
#include <mswsock.h>
#include <winsock2.h>
#include <ws2spi.h>
#include <ws2tcpip.h>
#else
#include <winsock2.h>
#include <ws2spi.h>
#endif

#include "rio_types.h"
#include "wsa_codes.h"

#ifdef _WIN32
// Windows' own headers define the WSA codes (abi/linux defines them from the table): every code
// must have the table's value, checked wherever the SPI headers are.
#define RIOSP_WSA_SAME_AS_WINDOWS(name, value)                                                     \
    static_assert(name == value, #name ": riosp/wsa_codes.h differs from the Windows headers");
RIOSP_WSA_CODES(RIOSP_WSA_SAME_AS_WINDOWS)
#undef RIOSP_WSA_SAME_AS_WINDOWS
#endif

// WSPSelect's timeout parameter as LPWSPSELECT spells it: the Windows SDK (and abi/linux) say
// `const struct timeval*`, MinGW-w64's ws2spi.h says `const PTIMEVAL` (a const pointer to a
// mutable timeval). Same ABI; the provider's WSPSelect takes whichever the headers declare.
#ifdef __MINGW32__
typedef struct timeval* RIOSP_SELECT_TIMEOUT;
#else
typedef const struct timeval* RIOSP_SELECT_TIMEOUT;
#endif

// Marks the provider's exported entry points (WSPStartup, ...).
#ifdef _WIN32
#define RIOSP_EXPORT __declspec(dllexport)
#else
#define RIOSP_EXPORT __attribute__((visibility("default")))
#endif
