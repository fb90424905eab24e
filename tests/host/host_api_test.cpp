// The Winsock API over the provider: calls reach the right WSPPROC_TABLE entry, provider
// errors become the thread's last error, WSASocketW picks the catalog entry, and the
// remaining upcalls answer what they document.
#include "host_test_support.h"

#include "host/catalog.h"
#include "host/upcalls.h"

#include <string>
#include <thread>

namespace {

using riosp::host::testing::cleanup_all;
using riosp::host::testing::use_fake_provider;

class HostApi : public riosp::host::testing::Started {};

sockaddr_in loopback(USHORT port_host_order) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = static_cast<USHORT>((port_host_order >> 8) | (port_host_order << 8));
    sin.sin_addr.s_addr = 0x0100007f; // 127.0.0.1 in network order
    return sin;
}

TEST_F(HostApi, LastErrorIsPerThread) {
    WSASetLastError(WSAEWOULDBLOCK);
    std::thread([] {
        EXPECT_EQ(WSAGetLastError(), 0);
        WSASetLastError(WSAECONNRESET);
    }).join();
    EXPECT_EQ(WSAGetLastError(), WSAEWOULDBLOCK);
}

TEST_F(HostApi, ProviderErrorsBecomeTheLastError) {
    const SOCKET s = tcp4();
    ASSERT_NE(s, INVALID_SOCKET);
    int value = 1;
    EXPECT_EQ(setsockopt(s, SOL_SOCKET, SO_DEBUG, reinterpret_cast<char*>(&value), sizeof value),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOPROTOOPT);
    const sockaddr_in here = loopback(5000);
    ASSERT_EQ(bind(s, reinterpret_cast<const sockaddr*>(&here), sizeof here), 0);
    EXPECT_EQ(bind(s, reinterpret_cast<const sockaddr*>(&here), sizeof here), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    const sockaddr_in refused = loopback(1);
    EXPECT_EQ(connect(s, reinterpret_cast<const sockaddr*>(&refused), sizeof refused),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAECONNREFUSED);
    EXPECT_EQ(shutdown(s, SD_SEND), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTCONN);
    sockaddr_in peer{};
    int len = sizeof peer;
    EXPECT_EQ(getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTCONN);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostApi, SuccessfulCallsLeaveTheLastErrorAlone) {
    const SOCKET s = tcp4();
    WSASetLastError(12345);
    int type = 0;
    int len = sizeof type;
    EXPECT_EQ(getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len), 0);
    EXPECT_EQ(WSAGetLastError(), 12345);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostApi, SocketCallsReachTheirProviderEntries) {
    const SOCKET s = tcp4();
    ASSERT_NE(s, INVALID_SOCKET);
    const sockaddr_in here = loopback(5001);
    ASSERT_EQ(bind(s, reinterpret_cast<const sockaddr*>(&here), sizeof here), 0);
    sockaddr_in name{};
    int len = sizeof name;
    ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&name), &len), 0);
    EXPECT_EQ(len, static_cast<int>(sizeof name));
    EXPECT_EQ(name.sin_port, here.sin_port);
    ASSERT_EQ(listen(s, SOMAXCONN), 0);
    EXPECT_EQ(accept(s, nullptr, nullptr), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEWOULDBLOCK);
    EXPECT_EQ(WSAAccept(s, nullptr, nullptr, nullptr, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEWOULDBLOCK);

    const SOCKET c = tcp4();
    const sockaddr_in there = loopback(5002);
    ASSERT_EQ(connect(c, reinterpret_cast<const sockaddr*>(&there), sizeof there), 0);
    EXPECT_EQ(WSASendDisconnect(c, nullptr), 0);
    WSABUF data{1, const_cast<char*>("x")};
    EXPECT_EQ(WSASendDisconnect(c, &data), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOPROTOOPT);
    EXPECT_EQ(WSARecvDisconnect(c, nullptr), 0);
    EXPECT_EQ(shutdown(c, SD_BOTH), 0);
    EXPECT_EQ(closesocket(c), 0);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostApi, SendAndReceiveMoveBytesThroughTheProvider) {
    const SOCKET s = tcp4();
    ASSERT_EQ(send(s, "hello ", 6, 0), 6);
    char second[] = "world";
    WSABUF buf{5, second};
    DWORD sent = 0;
    ASSERT_EQ(WSASend(s, &buf, 1, &sent, 0, nullptr, nullptr), 0);
    EXPECT_EQ(sent, 5u);
    u_long pending = 0;
    ASSERT_EQ(ioctlsocket(s, FIONREAD, &pending), 0);
    EXPECT_EQ(pending, 11u);
    char out[32] = {};
    EXPECT_EQ(recv(s, out, 6, 0), 6);
    char rest[8] = {};
    WSABUF rbuf{sizeof rest, rest};
    DWORD got = 0;
    DWORD flags = 0;
    ASSERT_EQ(WSARecv(s, &rbuf, 1, &got, &flags, nullptr, nullptr), 0);
    EXPECT_EQ(std::string(out) + std::string(rest, got), "hello world");
    EXPECT_EQ(recv(s, out, sizeof out, 0), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEWOULDBLOCK);
    EXPECT_EQ(sendto(s, "z", 1, 0, nullptr, 0), 1);
    EXPECT_EQ(recvfrom(s, out, sizeof out, 0, nullptr, nullptr), 1);
    EXPECT_EQ(send(s, out, -1, 0), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostApi, IoctlsReachTheProvider) {
    const SOCKET s = tcp4();
    u_long on = 1;
    EXPECT_EQ(ioctlsocket(s, FIONBIO, &on), 0);
    u_long in = 0;
    DWORD returned = 0;
    ASSERT_EQ(send(s, "abc", 3, 0), 3);
    EXPECT_EQ(WSAIoctl(s, FIONREAD, nullptr, 0, &in, sizeof in, &returned, nullptr, nullptr), 0);
    EXPECT_EQ(in, 3u);
    EXPECT_EQ(returned, sizeof(u_long));
    EXPECT_EQ(WSAIoctl(s, 0x12345678, nullptr, 0, nullptr, 0, &returned, nullptr, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(HostApi, SelectForwardsTheSetsAndRefusesEmptyOnes) {
    const SOCKET quiet = tcp4();
    const SOCKET busy = tcp4();
    ASSERT_EQ(send(busy, "x", 1, 0), 1);
    fd_set reads{};
    FD_SET(quiet, &reads);
    FD_SET(busy, &reads);
    timeval zero{0, 0};
    EXPECT_EQ(select(0, &reads, nullptr, nullptr, &zero), 1);
    EXPECT_FALSE(FD_ISSET(quiet, &reads));
    EXPECT_TRUE(FD_ISSET(busy, &reads));
    fd_set empty{};
    EXPECT_EQ(select(0, &empty, nullptr, nullptr, &zero), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(closesocket(quiet), 0);
    EXPECT_EQ(closesocket(busy), 0);
}

TEST_F(HostApi, WSASocketPicksTheCatalogEntryForTheFamily) {
    for (const int af : {AF_INET, AF_INET6}) {
        const SOCKET s = WSASocketW(af, SOCK_STREAM, 0, nullptr, 0, WSA_FLAG_OVERLAPPED);
        ASSERT_NE(s, INVALID_SOCKET) << af;
        WSAPROTOCOL_INFOW info{};
        int len = sizeof info;
        ASSERT_EQ(
            getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len), 0);
        EXPECT_EQ(info.iAddressFamily, af);
        EXPECT_EQ(info.iProtocol, IPPROTO_TCP);
        EXPECT_TRUE(info.ProviderId == riosp::host::riosp_provider_guid);
        EXPECT_EQ(info.dwServiceFlags1 & XP1_DISCONNECT_DATA, 0u);
        EXPECT_EQ(closesocket(s), 0);
    }
}

TEST_F(HostApi, WSASocketWithProtocolInfoUsesItsCatalogEntryOrRefusesAnUnknownOne) {
    WSAPROTOCOL_INFOW info = riosp::host::catalog()[1]; // TCP/IPv6
    const SOCKET s = WSASocketW(AF_INET6, SOCK_STREAM, IPPROTO_TCP, &info, 0, 0);
    ASSERT_NE(s, INVALID_SOCKET);
    WSAPROTOCOL_INFOW seen{};
    int len = sizeof seen;
    ASSERT_EQ(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&seen), &len),
              0);
    EXPECT_EQ(seen.dwCatalogEntryId, info.dwCatalogEntryId);
    EXPECT_EQ(closesocket(s), 0);
    info.dwCatalogEntryId = 0xdead;
    EXPECT_EQ(WSASocketW(AF_INET6, SOCK_STREAM, IPPROTO_TCP, &info, 0, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
}

TEST_F(HostApi, WSASocketReportsTheFirstCatalogMismatch) {
    EXPECT_EQ(socket(99, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEAFNOSUPPORT);
    EXPECT_EQ(socket(AF_INET, SOCK_RAW, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAESOCKTNOSUPPORT);
    EXPECT_EQ(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEPROTONOSUPPORT);
}

TEST(HostApiCatalog, ProviderExportedCatalogReplacesTheBuiltInEntries) {
    use_fake_provider("catalog");
    WSADATA data{};
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    const SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_NE(s, INVALID_SOCKET);
    WSAPROTOCOL_INFOW info{};
    int len = sizeof info;
    ASSERT_EQ(getsockopt(s, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len),
              0);
    EXPECT_EQ(info.dwCatalogEntryId, 0x1234u);
    EXPECT_EQ(socket(AF_INET6, SOCK_STREAM, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEAFNOSUPPORT);
    EXPECT_EQ(closesocket(s), 0);
    cleanup_all();
    // Back to a provider without a catalog: the built-in entries return.
    use_fake_provider();
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    const SOCKET s6 = socket(AF_INET6, SOCK_STREAM, 0);
    EXPECT_NE(s6, INVALID_SOCKET);
    EXPECT_EQ(closesocket(s6), 0);
    cleanup_all();
}

TEST_F(HostApi, EnumProtocolsListsTheCatalogAndReportsTheSizeItNeeds) {
    DWORD len = 0;
    EXPECT_EQ(WSAEnumProtocolsW(nullptr, nullptr, &len), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOBUFS);
    ASSERT_EQ(len, 4 * sizeof(WSAPROTOCOL_INFOW));
    WSAPROTOCOL_INFOW entries[4] = {};
    ASSERT_EQ(WSAEnumProtocolsW(nullptr, entries, &len), 4);
    EXPECT_EQ(entries[0].iAddressFamily, AF_INET);
    EXPECT_EQ(entries[1].iAddressFamily, AF_INET6);
    INT udp_only[] = {IPPROTO_UDP, 0};
    len = sizeof entries;
    EXPECT_EQ(WSAEnumProtocolsW(udp_only, entries, &len), 2);
    EXPECT_EQ(entries[0].iSocketType, SOCK_DGRAM);
    INT sctp_only[] = {132, 0};
    len = sizeof entries;
    EXPECT_EQ(WSAEnumProtocolsW(sctp_only, entries, &len), 0);
    INT tcp_only[] = {IPPROTO_TCP, 0};
    len = sizeof entries;
    EXPECT_EQ(WSAEnumProtocolsW(tcp_only, entries, &len), 2);
}

// Every remaining WSPPROC_TABLE entry is reachable through the API; the fake answers each with
// WSAEOPNOTSUPP, which must come back as the last error.
TEST_F(HostApi, RemainingProviderEntriesAreReachableAndReportTheProviderError) {
    const SOCKET s = tcp4();
    sockaddr_in sin = loopback(80);
    WCHAR text[64] = {};
    DWORD text_len = 64;
    EXPECT_EQ(WSAAddressToStringW(reinterpret_cast<sockaddr*>(&sin), sizeof sin, nullptr, text,
                                  &text_len),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    WCHAR address[] = u"127.0.0.1";
    int sin_len = sizeof sin;
    EXPECT_EQ(
        WSAStringToAddressW(address, AF_INET, nullptr, reinterpret_cast<sockaddr*>(&sin), &sin_len),
        SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    EXPECT_EQ(
        WSAStringToAddressW(address, 99, nullptr, reinterpret_cast<sockaddr*>(&sin), &sin_len),
        SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL) << "no catalog entry for the family";
    WSAPROTOCOL_INFOW info{};
    EXPECT_EQ(WSADuplicateSocketW(s, 1, &info), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    EXPECT_EQ(WSAJoinLeaf(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin, nullptr, nullptr,
                          nullptr, nullptr, 0),
              INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    QOS qos{};
    EXPECT_FALSE(WSAGetQOSByName(s, nullptr, &qos));
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    EXPECT_EQ(WSAAsyncSelect(s, nullptr, 0, FD_READ), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    EXPECT_EQ(WSACancelBlockingCall(), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    EXPECT_EQ(closesocket(s), 0);
}

// ---- upcalls beyond handles, events and APCs -------------------------------------------------

TEST_F(HostApi, CreateSocketHandleRefusesUnknownCatalogEntries) {
    const WSPUPCALLTABLE up = riosp::host::upcall_table();
    int error = 0;
    EXPECT_EQ(up.lpWPUCreateSocketHandle(0xdead, 1, &error), INVALID_SOCKET);
    EXPECT_EQ(error, WSAEINVAL);
    DWORD_PTR context = 0;
    EXPECT_EQ(up.lpWPUQuerySocketHandleContext(INVALID_SOCKET, &context, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAENOTSOCK);
    EXPECT_EQ(up.lpWPUQuerySocketHandleContext(4 << 18, nullptr, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEFAULT);
}

TEST_F(HostApi, UpcallsWithoutALinuxMeaningAnswerTheirDocumentedErrors) {
    const WSPUPCALLTABLE up = riosp::host::upcall_table();
    int error = 0;
    EXPECT_EQ(up.lpWPUPostMessage(nullptr, 0, 0, 0), FALSE);
    EXPECT_EQ(up.lpWPUModifyIFSHandle(riosp::host::builtin_catalog_id_tcp4, 8, &error),
              INVALID_SOCKET);
    EXPECT_EQ(error, WSAEINVAL);
    LPBLOCKINGCALLBACK callback = reinterpret_cast<LPBLOCKINGCALLBACK>(1);
    DWORD_PTR context = 7;
    EXPECT_EQ(up.lpWPUQueryBlockingCallback(riosp::host::builtin_catalog_id_tcp4, &callback,
                                            &context, &error),
              0);
    EXPECT_EQ(callback, nullptr);
    EXPECT_EQ(context, 0u);
    EXPECT_EQ(up.lpWPUQueryBlockingCallback(0xdead, &callback, &context, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEINVAL);
}

TEST_F(HostApi, FdIsSetReportsMembership) {
    const WSPUPCALLTABLE up = riosp::host::upcall_table();
    fd_set set{};
    FD_SET(SOCKET{8}, &set);
    EXPECT_NE(up.lpWPUFDIsSet(8, &set), 0);
    EXPECT_EQ(up.lpWPUFDIsSet(12, &set), 0);
    EXPECT_EQ(up.lpWPUFDIsSet(8, nullptr), 0);
}

TEST_F(HostApi, GetProviderPathReturnsTheLoadedModulePath) {
    const WSPUPCALLTABLE up = riosp::host::upcall_table();
    GUID id = riosp::host::riosp_provider_guid;
    int error = 0;
    int len = 0;
    EXPECT_EQ(up.lpWPUGetProviderPath(&id, nullptr, &len, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEFAULT);
    const std::string expected = RIOSP_FAKE_PROVIDER_PATH;
    ASSERT_EQ(len, static_cast<int>(expected.size() + 1));
    std::u16string path(static_cast<std::size_t>(len), u'?');
    ASSERT_EQ(up.lpWPUGetProviderPath(&id, path.data(), &len, &error), 0);
    path.resize(static_cast<std::size_t>(len - 1));
    EXPECT_EQ(std::string(path.begin(), path.end()), expected);
    GUID other{1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}};
    EXPECT_EQ(up.lpWPUGetProviderPath(&other, path.data(), &len, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEINVAL);
}

} // namespace
