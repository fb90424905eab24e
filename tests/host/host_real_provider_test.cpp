// The host with the real provider (provider/libriosp_provider.so from this build, found
// through the path compiled into the host): loading, a loopback connection, an overlapped
// receive with a completion routine, FD_CLOSE through an event. The provider's own behaviour
// is tested in tests/provider; this proves the two halves fit.
#include "host_test_support.h"

#include "host/catalog.h"

#include <string>
#include <thread>

namespace {

class HostRealProvider : public ::testing::Test {
protected:
    void SetUp() override {
        ::unsetenv("RIOSP_PROVIDER_PATH"); // the build's default path
        WSADATA data{};
        ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    }
    void TearDown() override { riosp::host::testing::cleanup_all(); }
};

int routine_runs = 0;
DWORD routine_bytes = 0;
void CALLBACK on_receive(DWORD, DWORD bytes, LPWSAOVERLAPPED, DWORD) {
    ++routine_runs;
    routine_bytes = bytes;
}

TEST_F(HostRealProvider, LoopbackConnectionCarriesBytesCompletionRoutinesAndFdClose) {
    routine_runs = 0;
    const SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(listener, INVALID_SOCKET) << WSAGetLastError();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = 0x0100007f; // 127.0.0.1, network order
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener, 4), 0);
    int len = sizeof addr;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

    const SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(client, INVALID_SOCKET);
    int connect_rc = -2;
    int connect_error = 0;
    std::thread connector([&] {
        connect_rc = connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        connect_error = WSAGetLastError();
    });
    const SOCKET server = accept(listener, nullptr, nullptr);
    connector.join();
    ASSERT_EQ(connect_rc, 0) << connect_error;
    ASSERT_NE(server, INVALID_SOCKET) << WSAGetLastError();

    ASSERT_EQ(send(client, "hello", 5, 0), 5);
    char buf[16] = {};
    ASSERT_EQ(recv(server, buf, sizeof buf, 0), 5);
    EXPECT_EQ(std::string(buf, 5), "hello");

    WSABUF wsabuf{sizeof buf, buf};
    WSAOVERLAPPED ov{};
    DWORD flags = 0;
    const int rc = WSARecv(server, &wsabuf, 1, nullptr, &flags, &ov, on_receive);
    ASSERT_TRUE(rc == 0 || WSAGetLastError() == WSA_IO_PENDING) << WSAGetLastError();
    ASSERT_EQ(send(client, "world", 5, 0), 5);
    ASSERT_EQ(SleepEx(10000, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
    EXPECT_EQ(routine_runs, 1);
    EXPECT_EQ(routine_bytes, 5u);
    EXPECT_EQ(std::string(buf, 5), "world");

    WSAEVENT event = WSACreateEvent();
    ASSERT_EQ(WSAEventSelect(server, event, FD_READ | FD_CLOSE), 0);
    ASSERT_EQ(shutdown(client, SD_SEND), 0);
    ASSERT_EQ(WSAWaitForMultipleEvents(1, &event, FALSE, 10000, FALSE), WSA_WAIT_EVENT_0);
    WSANETWORKEVENTS events{};
    ASSERT_EQ(WSAEnumNetworkEvents(server, event, &events), 0);
    EXPECT_NE(events.lNetworkEvents & FD_CLOSE, 0);

    EXPECT_EQ(closesocket(client), 0);
    EXPECT_EQ(closesocket(server), 0);
    EXPECT_EQ(closesocket(listener), 0);
    EXPECT_EQ(closesocket(server), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    EXPECT_TRUE(WSACloseEvent(event));
}

} // namespace
