// The calling thread's Winsock last error lives where the system keeps it (host/os.h).
#include "host/last_error.h"

#include "host/os.h"

namespace riosp::host {
void set_last_error(int error) noexcept {
    os::set_last_error(error);
}
int last_error() noexcept {
    return os::last_error();
}
} // namespace riosp::host
