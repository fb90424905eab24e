// rio_test_os.h on Windows: Winsock sockets and a manual-reset event object.
#include "rio_test_os.h"

#include <rio/win/native_rio_win.h>

#include <winsock2.h>
#include <ws2tcpip.h>
// after winsock2.h
#include <tlhelp32.h>

namespace riosp::rio::test {
namespace {
SOCKET native(Sock s) {
    return static_cast<SOCKET>(s);
}
bool startup() {
    static const bool ok = [] {
        WSADATA data;
        return WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }();
    return ok;
}
} // namespace

bool open_tcp_pair(Sock& local, Sock& peer) {
    local = peer = net::invalid_socket;
    if (!startup())
        return false;
    const SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof addr;
    bool ok = listener != INVALID_SOCKET &&
              bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
              listen(listener, 1) == 0 &&
              getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    // The side rio gets can carry a system RIO request queue (the native backend's instances).
    const SOCKET l = ok ? WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                     WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO)
                        : INVALID_SOCKET;
    ok = ok && l != INVALID_SOCKET && connect(l, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    const SOCKET p = ok ? accept(listener, nullptr, nullptr) : INVALID_SOCKET;
    if (listener != INVALID_SOCKET)
        closesocket(listener);
    const BOOL one = TRUE;
    setsockopt(l, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
    setsockopt(p, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
    local = static_cast<Sock>(l);
    peer = static_cast<Sock>(p);
    return ok && p != INVALID_SOCKET;
}

void close_socket(Sock s) {
    if (s != net::invalid_socket)
        closesocket(native(s));
}

void set_abort_on_close(Sock s) {
    linger l{1, 0};
    setsockopt(native(s), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
}

bool send_all(Sock s, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const int n = send(native(s), p, static_cast<int>(size), 0);
        if (n <= 0)
            return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

long recv_some(Sock s, void* data, std::size_t size, bool waitall) {
    return recv(native(s), static_cast<char*>(data), static_cast<int>(size),
                waitall ? MSG_WAITALL : 0);
}

bool readable(Sock s, int timeout_ms) {
    WSAPOLLFD p{};
    p.fd = native(s);
    p.events = POLLRDNORM;
    return WSAPoll(&p, 1, timeout_ms) == 1;
}

void shutdown_send(Sock s) {
    shutdown(native(s), SD_SEND);
}

Sock open_udp(bool v6) {
    if (!startup())
        return net::invalid_socket;
    const SOCKET s = WSASocketW(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                                WSA_FLAG_OVERLAPPED | WSA_FLAG_REGISTERED_IO);
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    sockaddr_in a4{};
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const sockaddr* a =
        v6 ? reinterpret_cast<const sockaddr*>(&a6) : reinterpret_cast<const sockaddr*>(&a4);
    if (s != INVALID_SOCKET && bind(s, a, v6 ? sizeof a6 : sizeof a4) == 0)
        return static_cast<Sock>(s);
    if (s != INVALID_SOCKET)
        closesocket(s);
    return net::invalid_socket;
}

WinAddress local_address(Sock s) {
    WinAddress out{};
    int len = static_cast<int>(out.size());
    if (getsockname(native(s), reinterpret_cast<sockaddr*>(out.data()), &len) != 0)
        out.fill(0);
    return out;
}

bool connect_to(Sock s, const WinAddress& to) {
    return connect(native(s), reinterpret_cast<const sockaddr*>(to.data()),
                   static_cast<int>(to.size())) == 0;
}

bool send_to(Sock s, const WinAddress* to, const void* data, std::size_t size) {
    return sendto(native(s), static_cast<const char*>(data), static_cast<int>(size), 0,
                  to != nullptr ? reinterpret_cast<const sockaddr*>(to->data()) : nullptr,
                  to != nullptr ? static_cast<int>(to->size()) : 0) == static_cast<int>(size);
}

long recv_from(Sock s, void* data, std::size_t size, WinAddress* from, int timeout_ms) {
    if (!readable(s, timeout_ms))
        return -1;
    WinAddress source{};
    int len = static_cast<int>(source.size());
    const int n = recvfrom(native(s), static_cast<char*>(data), static_cast<int>(size), 0,
                           reinterpret_cast<sockaddr*>(source.data()), &len);
    if (from != nullptr)
        *from = source;
    return n;
}

Sock open_non_socket() {
    return reinterpret_cast<Sock>(CreateEventW(nullptr, TRUE, FALSE, nullptr));
}

void close_non_socket(Sock s) {
    CloseHandle(reinterpret_cast<HANDLE>(s));
}

std::size_t registrations_per_used_region(Backend backend) {
    return backend == Backend::native && win::native_rio_is_double() ? 2 : 1;
}

std::size_t thread_count() {
    const HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return 0;
    std::size_t n = 0;
    THREADENTRY32 e{};
    e.dwSize = sizeof e;
    for (BOOL more = Thread32First(snap, &e); more; more = Thread32Next(snap, &e))
        n += e.th32OwnerProcessID == GetCurrentProcessId();
    CloseHandle(snap);
    return n;
}

bool allow_descriptors(std::size_t) {
    return true;
}

bool other_threads_asleep() {
    return true; // see rio_test_os.h: only sanitizer builds need the wait
}

TestEvent::TestEvent()
    : native_(reinterpret_cast<std::intptr_t>(CreateEventW(nullptr, TRUE, FALSE, nullptr))) {}
TestEvent::~TestEvent() {
    CloseHandle(handle());
}
HANDLE TestEvent::handle() const {
    return reinterpret_cast<HANDLE>(native_);
}
bool TestEvent::signaled(int timeout_ms) const {
    return WaitForSingleObject(handle(), static_cast<DWORD>(timeout_ms)) == WAIT_OBJECT_0;
}
void TestEvent::set() {
    SetEvent(handle());
}
void TestEvent::reset() {
    ResetEvent(handle());
}

} // namespace riosp::rio::test
