// The fallback as containers cause it: io_uring_setup blocked by seccomp (EPERM). The test
// re-executes this binary under such a filter and checks that the child picks epoll, says why
// on stderr, and still moves data.
#include "rio_test_support.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>

namespace riosp::rio::test {
namespace {

constexpr const char* kChildEnv = "RIOSP_RIO_TEST_SECCOMP_CHILD";

// Runs in the re-executed child only.
TEST(RioFallback, ChildUnderSeccompRunsOnEpoll) {
    if (std::getenv(kChildEnv) == nullptr)
        GTEST_SKIP() << "only meaningful inside RioFallback.EpollIsChosenAndLogged...";
    ASSERT_EQ(active_backend(), Backend::epoll);
    ASSERT_FALSE(backend_available(Backend::uring));
    TcpPair pair;
    auto cq = CompletionQueue::create(8);
    ASSERT_TRUE(cq.ok());
    auto rq = RequestQueue::create(pair.local, 2, 1, 2, 1, cq.value(), cq.value(), nullptr);
    ASSERT_TRUE(rq.ok());
    Region r(16);
    r.fill(0, "fallback");
    RIO_BUF b = r.slice(0, 8);
    ASSERT_EQ(rq.value().send({&b, 1}, 0, nullptr), 0);
    EXPECT_EQ(pair.peer_recv(8), "fallback");
    EXPECT_EQ(wait_results(cq.value(), 1).size(), 1U);
}

void deny_io_uring_setup() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        ::_exit(97);
}

TEST(RioFallback, EpollIsChosenAndLoggedWhenSeccompBlocksIoUring) {
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        deny_io_uring_setup();
        ::setenv(kChildEnv, "1", 1);
        ::unsetenv("RIOSP_RIO_BACKEND");
        char filter[] = "--gtest_filter=RioFallback.ChildUnderSeccompRunsOnEpoll";
        char self[] = "/proc/self/exe";
        char* argv[] = {self, filter, nullptr};
        ::execv(self, argv);
        ::_exit(98);
    }
    ::close(out[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 100) != 1)
            continue;
        char buf[4096];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(child, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    if (done == 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
        FAIL() << "child hung:\n" << text;
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    EXPECT_NE(text.find("riosp: rio backend epoll (io_uring_setup: EPERM"), std::string::npos)
        << text;
    EXPECT_NE(text.find("[  PASSED  ] 1 test"), std::string::npos) << text;
}

} // namespace
} // namespace riosp::rio::test
