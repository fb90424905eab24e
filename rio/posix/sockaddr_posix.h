// Socket addresses between Windows' layout and the kernel's. Windows' sockaddr_in and
// sockaddr_in6 have the kernel's byte layout except for the family value (AF_INET6 is 23 there,
// 10 here), so each conversion is a copy and a rewrite of the 16-bit family field.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

namespace riosp::rio::posix {

// Room for any address the conversions produce (IPv4 or IPv6).
union KernelAddress {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
};

// A Windows address of win_len bytes into the kernel's form: 0, WSAEFAULT (null, or shorter
// than its family's address) or WSAEAFNOSUPPORT (neither AF_INET nor AF_INET6).
[[nodiscard]] int to_kernel(const void* win_addr, int win_len, KernelAddress& out,
                            socklen_t& out_len) noexcept;
// A kernel address into Windows' form, *win_len the room on entry and the size written on
// return: 0, WSAEFAULT (null or too little room) or WSAEAFNOSUPPORT (neither IPv4 nor IPv6).
[[nodiscard]] int to_windows(const sockaddr& in, void* win_addr, int* win_len) noexcept;

} // namespace riosp::rio::posix
