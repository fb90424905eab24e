// Linux only: the running test binary re-executed as a child whose io_uring_setup calls a
// seccomp filter fails, as a container's policy or the kernel's limits make them fail. What the
// backend-fallback tests of rio and of the provider share: the child runs one test of the same
// binary (which skips unless the marker variable is set), and the parent reads what it printed.
#pragma once

#include <chrono>
#include <string>

namespace riosp::support {

// Which io_uring_setup calls fail in the child.
enum class UringDenial {
    every_ring_eperm,  // all of them, EPERM: blocked by seccomp or kernel.io_uring_disabled
    large_rings_enomem // rings of more than 4 submission entries, ENOMEM: memory pressure, or
                       // RLIMIT_MEMLOCK on kernels that charge rings to it (before 5.12)
};

struct ChildRun {
    bool finished = false; // within the timeout (else it was killed)
    bool passed = false;   // exited with 0
    std::string output;    // its stdout and stderr, interleaved
};

// Runs `gtest_filter` of this binary in a child under `denial`, with `marker`=1 in its
// environment and RIOSP_RIO_BACKEND unset (the process chooses its backend by itself).
[[nodiscard]] ChildRun run_self_denying_io_uring(UringDenial denial, const char* gtest_filter,
                                                 const char* marker, std::chrono::seconds timeout);

} // namespace riosp::support
