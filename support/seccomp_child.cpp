#include "support/seccomp_child.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <thread>

namespace riosp::support {
namespace {

// In the child, before exec: from here on io_uring_setup fails as `denial` says.
void deny_io_uring_setup(UringDenial denial) {
    constexpr auto ret_errno = [](int err) -> std::uint32_t {
        return SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(err) & SECCOMP_RET_DATA);
    };
    // io_uring_setup(u32 entries, struct io_uring_params*): the first argument's low word.
    constexpr std::uint32_t entries = offsetof(seccomp_data, args[0]);
    sock_filter every[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, ret_errno(EPERM)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_filter large[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, entries),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 4, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, ret_errno(ENOMEM)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{};
    if (denial == UringDenial::every_ring_eperm)
        prog = {static_cast<unsigned short>(sizeof every / sizeof every[0]), every};
    else
        prog = {static_cast<unsigned short>(sizeof large / sizeof large[0]), large};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        ::_exit(97);
}

} // namespace

ChildRun run_self_denying_io_uring(UringDenial denial, const char* gtest_filter, const char* marker,
                                   std::chrono::seconds timeout) {
    ChildRun run;
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return run;
    const std::string filter = std::string("--gtest_filter=") + gtest_filter;
    const pid_t child = ::fork();
    if (child < 0) {
        ::close(out[0]);
        ::close(out[1]);
        return run;
    }
    if (child == 0) {
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        deny_io_uring_setup(denial);
        ::setenv(marker, "1", 1);
        ::unsetenv("RIOSP_RIO_BACKEND");
        char self[] = "/proc/self/exe";
        char* argv[] = {self, const_cast<char*>(filter.c_str()), nullptr};
        ::execv(self, argv);
        ::_exit(98);
    }
    ::close(out[1]);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 100) != 1)
            continue;
        char buf[4096];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0)
            break;
        run.output.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
        return run;
    }
    run.finished = true;
    run.passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return run;
}

} // namespace riosp::support
