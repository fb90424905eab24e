// Thread-local like Windows' per-thread last error: one thread's failure never overwrites
// the code another thread is about to read.
#include "host/last_error.h"

namespace riosp::host {
namespace {
thread_local int error_code = 0;
}
void set_last_error(int error) noexcept {
    error_code = error;
}
int last_error() noexcept {
    return error_code;
}
} // namespace riosp::host
