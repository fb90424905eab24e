// The fallback to epoll, as containers and the kernel's limits cause it: this binary re-run as
// a child whose io_uring_setup calls fail (support/seccomp_child.h), which must pick epoll, say
// why in its one stderr line, and still move data. Two causes: every io_uring_setup refused
// (EPERM: seccomp, kernel.io_uring_disabled), and only rings as large as a CQ's refused
// (ENOMEM: memory pressure, RLIMIT_MEMLOCK before Linux 5.12), which a probe with a small ring
// of its own did not see: it chose io_uring, and then no CQ could be created.
#include "rio_test_support.h"

#include "support/seccomp_child.h"

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
    ASSERT_TRUE(cq.ok()) << cq.error();
    auto big = CompletionQueue::create(64 * 1024); // as large as a provider worker's
    ASSERT_TRUE(big.ok()) << big.error();
    auto rq = RequestQueue::create(pair.local, 2, 1, 2, 1, cq.value(), cq.value(), nullptr);
    ASSERT_TRUE(rq.ok());
    Region r(16);
    r.fill(0, "fallback");
    RIO_BUF b = r.slice(0, 8);
    ASSERT_EQ(rq.value().send({&b, 1}, 0, nullptr), 0);
    EXPECT_EQ(pair.peer_recv(8), "fallback");
    EXPECT_EQ(wait_results(cq.value(), 1).size(), 1U);
}

void expect_epoll_chosen(support::UringDenial denial, const std::string& line) {
    const support::ChildRun run = support::run_self_denying_io_uring(
        denial, "RioFallback.ChildUnderSeccompRunsOnEpoll", kChildEnv, 60s);
    ASSERT_TRUE(run.finished) << "child hung:\n" << run.output;
    EXPECT_TRUE(run.passed) << run.output;
    EXPECT_NE(run.output.find(line), std::string::npos) << run.output;
    const auto first = run.output.find("riosp: rio backend");
    EXPECT_EQ(run.output.find("riosp: rio backend", first + 1), std::string::npos) << "one line:\n"
                                                                                   << run.output;
    EXPECT_NE(run.output.find("[  PASSED  ] 1 test"), std::string::npos) << run.output;
}

TEST(RioFallback, EpollIsChosenAndLoggedWhenSeccompBlocksIoUring) {
    expect_epoll_chosen(support::UringDenial::every_ring_eperm,
                        "riosp: rio backend epoll (io_uring_setup: EPERM");
}

TEST(RioFallback, EpollIsChosenAndLoggedWhenACompletionQueuesRingCannotBeSetUp) {
    expect_epoll_chosen(support::UringDenial::large_rings_enomem,
                        "riosp: rio backend epoll (io_uring_setup: ENOMEM");
}

} // namespace
} // namespace riosp::rio::test
