// Windows error values for Linux builds: every Windows Sockets code, and the Win32 errors
// Winsock reuses for its WSA_* codes.
//
// Why here: on Windows these come from winerror.h (and winsock2.h), which windows.h includes;
// here wintypes.h includes this file, so winsock2.h has them, and so may code that sits beside
// Linux's own socket headers (rio/, riosp-load's raw baseline), which winsock2.h's
// Windows-layout types would clash with. The values are riosp/wsa_codes.h's table: not one
// number is written here.
#pragma once

#include <riosp/wsa_codes.h>

#define WSABASEERR 10000

// Constants rather than macros: a macro cannot be generated from the table. They behave like
// Windows' int macros in expressions, switch labels and templates; only #ifdef cannot see them.
#define RIOSP_WSA_CONSTANT(name, value) inline constexpr int name = value;
RIOSP_WSA_CODES(RIOSP_WSA_CONSTANT)
#undef RIOSP_WSA_CONSTANT

// Windows defines WSA_X as ERROR_X; here the number is the table's, so the other way round.
#define ERROR_INVALID_HANDLE ((long)WSA_INVALID_HANDLE)
#define ERROR_NOT_ENOUGH_MEMORY ((long)WSA_NOT_ENOUGH_MEMORY)
#define ERROR_INVALID_PARAMETER ((long)WSA_INVALID_PARAMETER)
#define ERROR_OPERATION_ABORTED ((long)WSA_OPERATION_ABORTED)
#define ERROR_IO_INCOMPLETE ((long)WSA_IO_INCOMPLETE)
#define ERROR_IO_PENDING ((long)WSA_IO_PENDING)
