// sockaddr_posix.h: the Windows layout's constants are core/detail.h's (the address slices of
// datagram requests use them too).
#include <rio/posix/sockaddr_posix.h>

#include <rio/core/detail.h>

#include <cstdint>
#include <cstring>

namespace riosp::rio::posix {

int to_kernel(const void* win_addr, int win_len, KernelAddress& out, socklen_t& out_len) noexcept {
    if (win_addr == nullptr || win_len < static_cast<int>(sizeof(std::uint16_t)))
        return WSAEFAULT;
    const ULONG need = detail::win_address_length(win_addr);
    if (need == 0)
        return WSAEAFNOSUPPORT;
    if (static_cast<ULONG>(win_len) < need)
        return WSAEFAULT;
    out = KernelAddress{};
    std::memcpy(&out, win_addr, need);
    out.sa.sa_family = need == detail::kWinSockaddrInLen ? AF_INET : AF_INET6;
    out_len = static_cast<socklen_t>(need);
    return 0;
}

int to_windows(const sockaddr& in, void* win_addr, int* win_len) noexcept {
    if (win_addr == nullptr || win_len == nullptr)
        return WSAEFAULT;
    std::uint16_t family = 0;
    ULONG need = 0;
    if (in.sa_family == AF_INET) {
        family = detail::kWinAfInet;
        need = detail::kWinSockaddrInLen;
    } else if (in.sa_family == AF_INET6) {
        family = detail::kWinAfInet6;
        need = detail::kWinSockaddrIn6Len;
    } else {
        return WSAEAFNOSUPPORT;
    }
    if (*win_len < static_cast<int>(need))
        return WSAEFAULT;
    std::memcpy(win_addr, &in, need);
    std::memcpy(win_addr, &family, sizeof family);
    *win_len = static_cast<int>(need);
    return 0;
}

} // namespace riosp::rio::posix
