// The workload calls through ws2_32 on Windows. The --baseline transport: the system's own TCP
// and UDP (whatever provider the catalog gives AF_INET/AF_INET6 sockets, no riosp code). With
// riosp installed in the catalog (riosp-install), the same calls with sockets created from
// riosp's entries: riosp as applications reach it, with no second transport to keep in step.
// raw_baseline_posix.cpp is the BSD-socket twin. Winsock reports WSA codes already, so errors
// read as the riosp transport's do.
#include "catalog_lookup.h"
#include "os_sockets.h"
#include "sockaddr_convert.h"
#include "transport.h"

#include <netioapi.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace riosp::load {

struct SystemTransport::Entries {
    std::vector<WSAPROTOCOL_INFOW> catalog; // as WSAEnumProtocolsW listed it
    Owner owner = Owner::system;

    [[nodiscard]] const WSAPROTOCOL_INFOW* entry(bool v6, int type) const noexcept {
        return find_entry(catalog, v6 ? AF_INET6 : AF_INET, type, owner);
    }
};

namespace {

int last_error() noexcept {
    const int e = WSAGetLastError();
    return e != 0 ? e : WSAEINVAL;
}

int to_sockaddr(const Endpoint& e, sockaddr_storage& ss) noexcept {
    return static_cast<int>(
        sockaddr_convert::to_sockaddr<sockaddr_in, sockaddr_in6>(e, ss, AF_INET, AF_INET6));
}

Endpoint from_sockaddr(const sockaddr_storage& ss) noexcept {
    return sockaddr_convert::from_sockaddr<sockaddr_in, sockaddr_in6>(ss, AF_INET6);
}

SOCKET as_socket(Sock s) noexcept {
    return static_cast<SOCKET>(s);
}

void set_nodelay(SOCKET s) noexcept {
    BOOL on = TRUE;
    (void)::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on), sizeof on);
}

// A TCP or UDP socket: from the chosen entries when there are some, else socket()'s choice.
// WSA_FLAG_OVERLAPPED as socket() gives, so the blocking calls behave alike.
SOCKET open_socket(const SystemTransport::Entries* entries, bool v6, int type) noexcept {
    const int family = v6 ? AF_INET6 : AF_INET;
    const int protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    if (entries == nullptr)
        return ::socket(family, type, protocol);
    const WSAPROTOCOL_INFOW* entry = entries->entry(v6, type);
    if (entry == nullptr) { // no silent fall-back to the other owner's entry
        ::WSASetLastError(WSAEAFNOSUPPORT);
        return INVALID_SOCKET;
    }
    WSAPROTOCOL_INFOW info = *entry; // WSASocketW takes a non-const pointer
    return ::WSASocketW(family, type, protocol, &info, 0, WSA_FLAG_OVERLAPPED);
}

// A UDP socket with buffers for a window of 64 KiB datagrams (best effort, as on Linux).
SOCKET udp_socket(const SystemTransport::Entries* entries, bool v6) noexcept {
    SOCKET s = open_socket(entries, v6, SOCK_DGRAM);
    if (s != INVALID_SOCKET) {
        int size = 4 << 20;
        (void)::setsockopt(s, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&size),
                           sizeof size);
        (void)::setsockopt(s, SOL_SOCKET, SO_SNDBUF, reinterpret_cast<const char*>(&size),
                           sizeof size);
    }
    return s;
}

int local_of(SOCKET s, Endpoint& out) noexcept {
    sockaddr_storage got{};
    int got_len = sizeof got;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&got), &got_len) != 0)
        return last_error();
    out = from_sockaddr(got);
    return 0;
}

// A socket that failed half-way: its error, read before closesocket can overwrite it.
int fail_and_close(SOCKET s) noexcept {
    const int err = last_error();
    (void)::closesocket(s);
    return err;
}

} // namespace

int SystemTransport::start() noexcept {
    WSADATA data{};
    return ::WSAStartup(MAKEWORD(2, 2), &data);
}

std::uint32_t scope_index(const std::string& name) noexcept {
    char* end = nullptr;
    const unsigned long n = std::strtoul(name.c_str(), &end, 10);
    if (!name.empty() && *end == '\0')
        return static_cast<std::uint32_t>(n);
    NET_LUID luid{};
    NET_IFINDEX index = 0;
    if (ConvertInterfaceNameToLuidA(name.c_str(), &luid) != NO_ERROR ||
        ConvertInterfaceLuidToIndex(&luid, &index) != NO_ERROR)
        return 0;
    return index;
}

namespace {

// The catalog with riosp's entries in it, or null (not installed, or WSAEnumProtocolsW failed).
std::shared_ptr<SystemTransport::Entries> catalog_with_riosp(Owner owner) {
    auto entries = std::make_shared<SystemTransport::Entries>();
    entries->owner = owner;
    // The first call asks for the size (WSAENOBUFS); a catalog that grows in between asks again.
    DWORD bytes = 0;
    for (;;) {
        entries->catalog.resize(bytes / sizeof(WSAPROTOCOL_INFOW));
        const int n = ::WSAEnumProtocolsW(nullptr, entries->catalog.data(), &bytes);
        if (n != SOCKET_ERROR) {
            entries->catalog.resize(static_cast<std::size_t>(n));
            break;
        }
        if (::WSAGetLastError() != WSAENOBUFS)
            return nullptr;
    }
    if (find_entry(entries->catalog, AF_INET, SOCK_STREAM, Owner::riosp) == nullptr)
        return nullptr;
    return entries;
}

} // namespace

SystemTransport SystemTransport::baseline() {
    SystemTransport t;
    t.entries_ = catalog_with_riosp(Owner::system);
    return t;
}

std::unique_ptr<SystemTransport> SystemTransport::installed_riosp() {
    auto entries = catalog_with_riosp(Owner::riosp);
    if (entries == nullptr)
        return nullptr;
    std::unique_ptr<SystemTransport> installed(new SystemTransport);
    installed->entries_ = std::move(entries);
    return installed;
}

std::uint32_t SystemTransport::entry_id(bool v6, bool udp) const noexcept {
    const WSAPROTOCOL_INFOW* e =
        entries_ == nullptr ? nullptr : entries_->entry(v6, udp ? SOCK_DGRAM : SOCK_STREAM);
    return e == nullptr ? 0 : e->dwCatalogEntryId;
}

const char* SystemTransport::name() const noexcept {
    // riosp's entries make it the riosp run: the summary's columns and the JSON's transport.
    return entries_ != nullptr && entries_->owner == Owner::riosp ? "riosp" : "winsock";
}

int SystemTransport::listen(const Endpoint& at, Sock& out, Endpoint& bound) noexcept {
    // No SO_REUSEADDR: on Windows it lets another socket take over a bound port, and a listener
    // binds over TIME_WAIT connections without it.
    SOCKET s = open_socket(entries_.get(), at.v6, SOCK_STREAM);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    const int len = to_sockaddr(at, ss);
    if (::bind(s, reinterpret_cast<const sockaddr*>(&ss), len) != 0 || ::listen(s, SOMAXCONN) != 0)
        return fail_and_close(s);
    bound = at;
    Endpoint local;
    if (local_of(s, local) == 0)
        bound.port = local.port;
    out = static_cast<Sock>(s);
    return 0;
}

int SystemTransport::accept(Sock listener, Sock& out) noexcept {
    SOCKET s = ::accept(as_socket(listener), nullptr, nullptr);
    if (s == INVALID_SOCKET)
        return last_error();
    set_nodelay(s);
    out = static_cast<Sock>(s);
    return 0;
}

int SystemTransport::connect(const Endpoint& to, Sock& out) noexcept {
    SOCKET s = open_socket(entries_.get(), to.v6, SOCK_STREAM);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    const int len = to_sockaddr(to, ss);
    if (::connect(s, reinterpret_cast<const sockaddr*>(&ss), len) != 0)
        return fail_and_close(s);
    set_nodelay(s);
    out = static_cast<Sock>(s);
    return 0;
}

int SystemTransport::send(Sock s, const void* data, std::size_t len, std::size_t& done) noexcept {
    const int n = ::send(as_socket(s), static_cast<const char*>(data), static_cast<int>(len), 0);
    done = n == SOCKET_ERROR ? 0 : static_cast<std::size_t>(n);
    return n == SOCKET_ERROR ? last_error() : 0;
}

int SystemTransport::recv(Sock s, void* data, std::size_t len, std::size_t& done) noexcept {
    const int n = ::recv(as_socket(s), static_cast<char*>(data), static_cast<int>(len), 0);
    done = n == SOCKET_ERROR ? 0 : static_cast<std::size_t>(n);
    return n == SOCKET_ERROR ? last_error() : 0;
}

int SystemTransport::send_disconnect(Sock s) noexcept {
    return ::shutdown(as_socket(s), SD_SEND) == 0 ? 0 : last_error();
}

int SystemTransport::set_abortive(Sock s) noexcept {
    ::linger l{1, 0};
    return ::setsockopt(as_socket(s), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l),
                        sizeof l) == 0
               ? 0
               : last_error();
}

int SystemTransport::close(Sock s) noexcept {
    return ::closesocket(as_socket(s)) == 0 ? 0 : last_error();
}

// ---------------------------------------------------------------- UDP
namespace {
// A UDP socket (from `entries`, see open_socket) bound to `at` (bind) or connected to it: 0 with
// the socket and its local address.
int udp_open(const SystemTransport::Entries* entries, const Endpoint& at, bool connect, Sock& out,
             Endpoint& local) noexcept {
    SOCKET s = udp_socket(entries, at.v6);
    if (s == INVALID_SOCKET)
        return last_error();
    sockaddr_storage ss{};
    const int len = to_sockaddr(at, ss);
    const auto* name = reinterpret_cast<const sockaddr*>(&ss);
    if ((connect ? ::connect(s, name, len) : ::bind(s, name, len)) != 0)
        return fail_and_close(s);
    if (int err = local_of(s, local); err != 0) {
        (void)::closesocket(s);
        return err;
    }
    out = static_cast<Sock>(s);
    return 0;
}
} // namespace

int SystemTransport::udp_bind(const Endpoint& at, Sock& out, Endpoint& bound) noexcept {
    return udp_open(entries_.get(), at, false, out, bound);
}

int SystemTransport::udp_connect(const Endpoint& to, Sock& out, Endpoint& local) noexcept {
    return udp_open(entries_.get(), to, true, out, local);
}

int SystemTransport::send_to(Sock s, const void* data, std::size_t len, const Endpoint& to,
                             std::size_t& done) noexcept {
    sockaddr_storage ss{};
    const int ss_len = to_sockaddr(to, ss);
    const int n = ::sendto(as_socket(s), static_cast<const char*>(data), static_cast<int>(len), 0,
                           reinterpret_cast<const sockaddr*>(&ss), ss_len);
    done = n == SOCKET_ERROR ? 0 : static_cast<std::size_t>(n);
    return n == SOCKET_ERROR ? last_error() : 0;
}

int SystemTransport::recv_from(Sock s, void* data, std::size_t len, Endpoint& from,
                               std::size_t& done) noexcept {
    sockaddr_storage ss{};
    int ss_len = sizeof ss;
    const int n = ::recvfrom(as_socket(s), static_cast<char*>(data), static_cast<int>(len), 0,
                             reinterpret_cast<sockaddr*>(&ss), &ss_len);
    done = n == SOCKET_ERROR ? 0 : static_cast<std::size_t>(n);
    if (n == SOCKET_ERROR)
        return last_error();
    from = from_sockaddr(ss);
    return 0;
}

} // namespace riosp::load
