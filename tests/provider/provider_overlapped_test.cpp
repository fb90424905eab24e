// Completion indications of overlapped calls: every completion routine reaches its thread's
// alertable wait however many wait there, and an overlapped WSAIoctl that completes at once
// signals its event or queues its routine, as WSASend and WSARecv do.
#include "provider_fixture.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

// Counts the routines that ran and remembers the last one's arguments.
struct RoutineCount {
    static inline int calls = 0;
    static inline DWORD error = 0;
    static inline DWORD bytes = 0;
    static void CALLBACK routine(DWORD err, DWORD n, LPWSAOVERLAPPED, DWORD) {
        ++calls;
        error = err;
        bytes = n;
    }
    static void reset() {
        calls = 0;
        error = 0;
        bytes = 0;
    }
};

// Sleeps alertably until `expected` routines ran or 10 s passed.
void run_routines_until(int expected) {
    for (int i = 0; i < 100 && RoutineCount::calls < expected; ++i)
        (void)ws::SleepEx(100, TRUE);
}

TEST_F(ProviderTest, EveryCompletionRoutineRunsHoweverManyWaitForTheAlertableWait) {
    // More completed sends with routines than riosp once had records for (8,192), all waiting
    // for this thread's next alertable wait; a peer thread drains the bytes meanwhile.
    constexpr int sends = 20'000;
    int peer = -1;
    SOCKET s = connect_pair(peer);
    ASSERT_NE(s, INVALID_SOCKET);
    std::thread drain([peer] {
        std::string got;
        (void)bsd::read_exact(peer, got, sends, 20'000);
    });
    RoutineCount::reset();
    std::vector<WSAOVERLAPPED> ovs(sends);
    char byte = 'r';
    for (int i = 0; i < sends; ++i) {
        WSABUF b{1, &byte};
        const int rc = ws::WSASend(s, &b, 1, nullptr, 0, &ovs[static_cast<std::size_t>(i)],
                                   RoutineCount::routine);
        ASSERT_TRUE(rc == 0 || ws::WSAGetLastError() == WSA_IO_PENDING)
            << i << ": " << ws::WSAGetLastError();
    }
    EXPECT_EQ(RoutineCount::calls, 0) << "routines run in an alertable wait only";
    run_routines_until(sends);
    EXPECT_EQ(RoutineCount::calls, sends);
    drain.join();
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, AnOverlappedIoctlThatCompletesAtOnceSignalsItsEvent) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    WSAOVERLAPPED ov{};
    ov.hEvent = ws::WSACreateEvent();
    u_long queued = 99;
    DWORD returned = 0;
    ASSERT_EQ(
        ws::WSAIoctl(s, FIONREAD, nullptr, 0, &queued, sizeof queued, &returned, &ov, nullptr), 0)
        << ws::WSAGetLastError();
    EXPECT_EQ(queued, 0u);
    EXPECT_EQ(ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE), WSA_WAIT_EVENT_0)
        << "the event of an ioctl that completed at once is signalled";
    DWORD bytes = 0, flags = 0;
    EXPECT_TRUE(ws::WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    EXPECT_EQ(bytes, sizeof(u_long));
    ws::WSACloseEvent(ov.hEvent);
    bsd::close_socket(peer);
    ws::closesocket(s);
}

TEST_F(ProviderTest, AnOverlappedIoctlThatCompletesAtOnceQueuesItsRoutine) {
    SOCKET s = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(s, INVALID_SOCKET);
    RoutineCount::reset();
    WSAOVERLAPPED ov{};
    u_long on = 1;
    DWORD returned = 7;
    ASSERT_EQ(
        ws::WSAIoctl(s, FIONBIO, &on, sizeof on, nullptr, 0, &returned, &ov, RoutineCount::routine),
        0)
        << ws::WSAGetLastError();
    EXPECT_EQ(RoutineCount::calls, 0) << "routines run in an alertable wait only";
    run_routines_until(1);
    EXPECT_EQ(RoutineCount::calls, 1);
    EXPECT_EQ(RoutineCount::error, 0u);
    EXPECT_EQ(RoutineCount::bytes, 0u);
    ws::closesocket(s);
}

TEST_F(ProviderTest, AnOverlappedIoctlThatFailsAtOnceGivesNoCompletionIndication) {
    SOCKET s = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(s, INVALID_SOCKET);
    RoutineCount::reset();
    WSAOVERLAPPED ov{};
    ov.hEvent = ws::WSACreateEvent();
    DWORD returned = 0;
    EXPECT_EQ(ws::WSAIoctl(s, 0x12345678, nullptr, 0, nullptr, 0, &returned, &ov, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(ws::WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE), WSA_WAIT_TIMEOUT);
    WSAOVERLAPPED ov2{};
    EXPECT_EQ(
        ws::WSAIoctl(s, 0x12345678, nullptr, 0, nullptr, 0, &returned, &ov2, RoutineCount::routine),
        SOCKET_ERROR);
    (void)ws::SleepEx(50, TRUE);
    EXPECT_EQ(RoutineCount::calls, 0);
    ws::WSACloseEvent(ov.hEvent);
    ws::closesocket(s);
}

} // namespace
} // namespace riosp::test
