// A program built against an installed riosp (docs/install.md): Winsock code over riosp's
// host, here a TCP client that sends a message to 127.0.0.1:<port>, half-closes, and checks
// that the peer echoed it back before its own FIN.
//   echo_client <port>    exit 0 when the echo came back whole, 1 with the WSA error otherwise
// No RIOSP_PROVIDER_PATH is needed: WSAStartup loads the provider installed beside the host.
#include <riosp/ws.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace riosp::ws;

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "echo_client: %s failed with WSA error %d\n", what, WSAGetLastError());
    return 1;
}

// Network byte order for the port (x86-64 is little-endian; <riosp/ws.h> has no htons).
u_short network_order(unsigned port) {
    return static_cast<u_short>(((port & 0xffu) << 8) | ((port >> 8) & 0xffu));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: echo_client <port>\n");
        return 2;
    }
    WSADATA data{};
    if (const int rc = WSAStartup(MAKEWORD(2, 2), &data); rc != 0) {
        std::fprintf(stderr, "echo_client: WSAStartup failed with %d\n", rc);
        return 1;
    }
    const SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return fail("socket");
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = network_order(static_cast<unsigned>(std::atoi(argv[1])));
    peer.sin_addr.s_addr = 0x0100007f; // 127.0.0.1 in network order
    if (connect(s, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) == SOCKET_ERROR)
        return fail("connect");

    const std::string message = "riosp: hello through an installed package";
    if (send(s, message.data(), static_cast<int>(message.size()), 0) != int(message.size()))
        return fail("send");
    if (shutdown(s, SD_SEND) == SOCKET_ERROR)
        return fail("shutdown");
    std::string echoed;
    char buffer[256];
    for (;;) { // until the peer's FIN: recv returns 0
        const int n = recv(s, buffer, sizeof buffer, 0);
        if (n == SOCKET_ERROR)
            return fail("recv");
        if (n == 0)
            break;
        echoed.append(buffer, static_cast<std::size_t>(n));
    }
    if (closesocket(s) == SOCKET_ERROR)
        return fail("closesocket");
    WSACleanup();
    if (echoed != message) {
        std::fprintf(stderr, "echo_client: sent \"%s\", got back \"%s\"\n", message.c_str(),
                     echoed.c_str());
        return 1;
    }
    std::printf("echo_client: %zu bytes echoed by 127.0.0.1:%s\n", echoed.size(), argv[1]);
    return 0;
}
