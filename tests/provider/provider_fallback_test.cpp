// WSPStartup where io_uring cannot give a worker its completion queue's ring (memory short, or
// RLIMIT_MEMLOCK on kernels before 5.12, which charge rings to it): the provider starts on rio's
// epoll backend, says so in rio's one stderr line, and moves data. The test re-runs this
// binary as a child whose io_uring_setup fails for rings larger than 4 entries
// (support/seccomp_child.h): before, rio's probe used a 4-entry ring, chose io_uring, and then
// no worker's 64 Ki-entry ring could be set up, so WSPStartup failed.
#include "provider_fixture.h"

#include "support/seccomp_child.h"

#include <cstdlib>
#include <string>

namespace riosp::test {
namespace {

constexpr const char* kChildEnv = "RIOSP_PROVIDER_TEST_SECCOMP_CHILD";

// Starts Winsock itself: only the child's does.
class ProviderFallback : public ProviderTest {
protected:
    void SetUp() override {}
    void TearDown() override {}
};

// Runs in the re-executed child only.
TEST_F(ProviderFallback, ChildStartsAndMovesDataOnEpoll) {
    if (std::getenv(kChildEnv) == nullptr)
        GTEST_SKIP() << "only meaningful inside ProviderFallback.WsaStartupSucceeds...";
    WSADATA data{};
    ASSERT_EQ(ws::WSAStartup(MAKEWORD(2, 2), &data), 0) << "WSPStartup";
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_NE(s, INVALID_SOCKET);
    // An overlapped receive that must wait: it goes through a worker's completion queue.
    char in[8] = {};
    WSABUF b{sizeof in, in};
    WSAOVERLAPPED ov{};
    ASSERT_EQ(post_overlapped_recv(s, b, ov), WSA_IO_PENDING);
    ASSERT_EQ(bsd::send_all(peer, "epoll"), 0);
    DWORD bytes = 0;
    DWORD flags = 0;
    EXPECT_TRUE(ws::WSAGetOverlappedResult(s, &ov, &bytes, TRUE, &flags));
    EXPECT_EQ(std::string(in, bytes), "epoll");
    ws::WSACloseEvent(ov.hEvent);
    EXPECT_EQ(send_str(s, "back"), 4);
    std::string got;
    EXPECT_EQ(bsd::read_exact(peer, got, 4, 5000), 0);
    EXPECT_EQ(got, "back");
    ws::closesocket(s);
    bsd::close_socket(peer);
    EXPECT_EQ(ws::WSACleanup(), 0);
}

TEST_F(ProviderFallback, WsaStartupSucceedsOnEpollWhenAWorkersRingCannotBeSetUp) {
    const support::ChildRun run = support::run_self_denying_io_uring(
        support::UringDenial::large_rings_enomem, "ProviderFallback.ChildStartsAndMovesDataOnEpoll",
        kChildEnv, std::chrono::seconds(60));
    ASSERT_TRUE(run.finished) << "child hung:\n" << run.output;
    EXPECT_TRUE(run.passed) << run.output;
    EXPECT_NE(run.output.find("riosp: rio backend epoll (io_uring_setup: ENOMEM"),
              std::string::npos)
        << run.output;
    const auto first = run.output.find("riosp: rio backend");
    EXPECT_EQ(run.output.find("riosp: rio backend", first + 1), std::string::npos) << "one line:\n"
                                                                                   << run.output;
    EXPECT_NE(run.output.find("[  PASSED  ] 1 test"), std::string::npos) << run.output;
}

} // namespace
} // namespace riosp::test
