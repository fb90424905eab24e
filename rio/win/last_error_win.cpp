// rio's last error on Windows (rio.h): its own per-thread value and the thread's Winsock last
// error, which the application's WSAGetLastError() reads (as mswsock's DisconnectEx sets it).
#include <rio/rio.h>

#include <winsock2.h>

namespace riosp::rio {
namespace {
thread_local int t_last_error = 0;
} // namespace

int last_error() noexcept {
    return t_last_error;
}

void set_last_error(int wsa_error) noexcept {
    t_last_error = wsa_error;
    ::WSASetLastError(wsa_error);
}

} // namespace riosp::rio
