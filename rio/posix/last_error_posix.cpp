// rio's last error on Linux (rio.h): its own per-thread value, handed on to the host that plays
// ws2_32, whose WSAGetLastError() the application reads.
#include <rio/rio.h>

#include <dlfcn.h>

namespace riosp::rio {
namespace {

thread_local int t_last_error = 0;

using HostSetter = void (*)(int);

// The host exports its setter from the executable (host/CMakeLists.txt); looked up once. A
// process without riosp's host (rio's own tests) has none, and keeps rio's value only.
HostSetter host_setter() noexcept {
    static const HostSetter setter =
        reinterpret_cast<HostSetter>(::dlsym(RTLD_DEFAULT, "riosp_host_set_last_error"));
    return setter;
}

} // namespace

int last_error() noexcept {
    return t_last_error;
}

void set_last_error(int wsa_error) noexcept {
    t_last_error = wsa_error;
    if (const HostSetter set = host_setter())
        set(wsa_error);
}

} // namespace riosp::rio
