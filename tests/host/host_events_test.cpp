// Event objects: manual-reset set/reset, waits for any or all, timeouts, invalid handles, and
// events signalled by the provider through WPUSetEvent/WPUResetEvent.
#include "host_test_support.h"

#include <chrono>
#include <thread>
#include <vector>

namespace {

class HostEvents : public riosp::host::testing::Started {
protected:
    void TearDown() override {
        for (WSAEVENT e : events_)
            (void)WSACloseEvent(e);
        Started::TearDown();
    }
    WSAEVENT make() {
        const WSAEVENT e = WSACreateEvent();
        EXPECT_NE(e, WSA_INVALID_EVENT);
        events_.push_back(e);
        return e;
    }

private:
    std::vector<WSAEVENT> events_;
};

using clock_type = std::chrono::steady_clock;

TEST_F(HostEvents, NewEventIsNotSignalled) {
    WSAEVENT e = make();
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
}

TEST_F(HostEvents, SetEventStaysSignalledThroughWaits) {
    WSAEVENT e = make();
    ASSERT_TRUE(WSASetEvent(e));
    // Manual reset: waiting does not consume the signal.
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 100, FALSE), WSA_WAIT_EVENT_0);
}

TEST_F(HostEvents, ResetEventUnsignalsEvenAfterSeveralSets) {
    WSAEVENT e = make();
    ASSERT_TRUE(WSASetEvent(e));
    ASSERT_TRUE(WSASetEvent(e));
    ASSERT_TRUE(WSAResetEvent(e));
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    EXPECT_TRUE(WSAResetEvent(e)) << "resetting an unsignalled event is fine";
}

TEST_F(HostEvents, WaitAnyReturnsTheLowestSignalledIndex) {
    WSAEVENT e[4] = {make(), make(), make(), make()};
    ASSERT_TRUE(WSASetEvent(e[3]));
    ASSERT_TRUE(WSASetEvent(e[1]));
    EXPECT_EQ(WSAWaitForMultipleEvents(4, e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 1);
    ASSERT_TRUE(WSAResetEvent(e[1]));
    EXPECT_EQ(WSAWaitForMultipleEvents(4, e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 3);
}

TEST_F(HostEvents, WaitAllTimesOutWhileOneEventIsUnsignalled) {
    WSAEVENT e[3] = {make(), make(), make()};
    ASSERT_TRUE(WSASetEvent(e[0]));
    ASSERT_TRUE(WSASetEvent(e[2]));
    EXPECT_EQ(WSAWaitForMultipleEvents(3, e, TRUE, 20, FALSE), WSA_WAIT_TIMEOUT);
    ASSERT_TRUE(WSASetEvent(e[1]));
    EXPECT_EQ(WSAWaitForMultipleEvents(3, e, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
}

TEST_F(HostEvents, WaitAllReturnsOnceAnotherThreadSignalsTheLastEvent) {
    WSAEVENT e[2] = {make(), make()};
    ASSERT_TRUE(WSASetEvent(e[0]));
    std::thread setter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        (void)WSASetEvent(e[1]);
    });
    EXPECT_EQ(WSAWaitForMultipleEvents(2, e, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    setter.join();
}

TEST_F(HostEvents, WaitAnyWakesWhenAnotherThreadSignals) {
    WSAEVENT e[2] = {make(), make()};
    std::thread setter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        (void)WSASetEvent(e[1]);
    });
    const auto start = clock_type::now();
    EXPECT_EQ(WSAWaitForMultipleEvents(2, e, FALSE, WSA_INFINITE, FALSE), WSA_WAIT_EVENT_0 + 1);
    EXPECT_LT(clock_type::now() - start, std::chrono::seconds(5));
    setter.join();
}

TEST_F(HostEvents, WaitTimesOutAfterTheGivenMilliseconds) {
    WSAEVENT e = make();
    const auto start = clock_type::now();
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 60, FALSE), WSA_WAIT_TIMEOUT);
    const auto waited = clock_type::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(60));
    EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(HostEvents, WaitAcceptsUpTo64EventsAndRefusesMore) {
    std::vector<WSAEVENT> e;
    for (int i = 0; i < WSA_MAXIMUM_WAIT_EVENTS + 1; ++i)
        e.push_back(make());
    ASSERT_TRUE(WSASetEvent(e[63]));
    EXPECT_EQ(WSAWaitForMultipleEvents(64, e.data(), FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 63);
    EXPECT_EQ(WSAWaitForMultipleEvents(65, e.data(), FALSE, 0, FALSE), WSA_WAIT_FAILED);
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_PARAMETER);
    EXPECT_EQ(WSAWaitForMultipleEvents(0, e.data(), FALSE, 0, FALSE), WSA_WAIT_FAILED);
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_PARAMETER);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, nullptr, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_PARAMETER);
}

TEST_F(HostEvents, ClosedOrForeignEventHandlesAreInvalid) {
    WSAEVENT e = WSACreateEvent();
    ASSERT_NE(e, WSA_INVALID_EVENT);
    ASSERT_TRUE(WSACloseEvent(e));
    EXPECT_FALSE(WSACloseEvent(e));
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
    EXPECT_FALSE(WSASetEvent(e));
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
    EXPECT_FALSE(WSAResetEvent(e));
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_FAILED);
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
    // Descriptor 1 (stdout) is open but is no event: never written to.
    WSAEVENT foreign = reinterpret_cast<WSAEVENT>(2);
    EXPECT_FALSE(WSASetEvent(foreign));
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
    EXPECT_FALSE(WSASetEvent(WSA_INVALID_EVENT));
}

TEST_F(HostEvents, ProviderSignalsEventSelectEventAndEnumResetsIt) {
    WSAEVENT e = make();
    const SOCKET s = tcp4();
    ASSERT_NE(s, INVALID_SOCKET);
    ASSERT_EQ(WSAEventSelect(s, e, FD_READ | FD_CLOSE), 0);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
    ASSERT_EQ(send(s, "ping", 4, 0), 4); // the fake's sockets are loopback queues
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 1000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS events{};
    ASSERT_EQ(WSAEnumNetworkEvents(s, e, &events), 0);
    EXPECT_EQ(events.lNetworkEvents, FD_READ);
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT)
        << "WSAEnumNetworkEvents resets the event through WPUResetEvent";
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostEvents, OverlappedReceiveCompletesThroughItsEvent) {
    const SOCKET s = tcp4();
    ASSERT_NE(s, INVALID_SOCKET);
    char buffer[16] = {};
    WSABUF buf{sizeof buffer, buffer};
    WSAOVERLAPPED ov{};
    ov.hEvent = make();
    DWORD flags = 0;
    ASSERT_EQ(WSARecv(s, &buf, 1, nullptr, &flags, &ov, nullptr), SOCKET_ERROR);
    ASSERT_EQ(WSAGetLastError(), WSA_IO_PENDING);
    DWORD bytes = 0;
    EXPECT_FALSE(WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags));
    EXPECT_EQ(WSAGetLastError(), WSA_IO_INCOMPLETE);

    std::thread sender([&] { (void)send(s, "hello", 5, 0); });
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 5000, FALSE), WSA_WAIT_EVENT_0);
    sender.join();
    ASSERT_TRUE(WSAGetOverlappedResult(s, &ov, &bytes, TRUE, &flags));
    EXPECT_EQ(bytes, 5u);
    EXPECT_EQ(std::string(buffer, bytes), "hello");
    EXPECT_EQ(closesocket(s), 0);
}

} // namespace
