// The workload's view of a socket API: a neutral interface implemented twice, over riosp (the
// Winsock API of riosp's host, transport_riosp.cpp) and over the system's own sockets
// (raw_baseline_{posix,win}.cpp, for --baseline). The two implementations live in separate
// translation units because Linux's socket headers and riosp's Windows-layout headers cannot
// meet in one file; this header includes neither. Every call returns 0 or a Windows Sockets
// error code (WSAE...): their names come from <winerror.h> (on Linux abi/linux's, the codes
// alone, no Windows-layout types, defined from riosp/wsa_codes.h), and riosp::wsa::name names
// any code.
#pragma once

#include <riosp/wsa_codes.h>
#include <winerror.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace riosp::load {

using Sock = std::uint64_t;
inline constexpr Sock bad_sock = ~Sock{0};

// An IPv4 or IPv6 address and port, in host order for the port.
struct Endpoint {
    bool v6 = false;
    std::array<std::uint8_t, 16> addr{}; // v4 uses the first 4 bytes
    std::uint16_t port = 0;
    std::uint32_t scope = 0;
};

// "127.0.0.1:5001", "[::1]:5001", "localhost:5001", ":5001" (any IPv4). False with a message.
[[nodiscard]] bool parse_endpoint(const std::string& text, Endpoint& out, std::string& why);
[[nodiscard]] std::string to_string(const Endpoint& e);
// `e` with a wildcard address (0.0.0.0 / ::) replaced by loopback: somewhere this process can
// send to when it bound "any" (waking its own accept, the memory probe, UDP self-addressed stops).
[[nodiscard]] Endpoint loopback_if_any(Endpoint e) noexcept;

class Transport {
public:
    virtual ~Transport() = default;
    [[nodiscard]] virtual const char* name() const noexcept = 0;
    // Bound and listening; `bound` gets the actual address (the kernel's port for port 0).
    virtual int listen(const Endpoint& at, Sock& out, Endpoint& bound) noexcept = 0;
    virtual int accept(Sock listener, Sock& out) noexcept = 0;
    // A connected socket with TCP_NODELAY set.
    virtual int connect(const Endpoint& to, Sock& out) noexcept = 0;
    // One send / receive call; `done` gets the byte count (0 on receive means the peer's FIN).
    virtual int send(Sock s, const void* data, std::size_t len, std::size_t& done) noexcept = 0;
    virtual int recv(Sock s, void* data, std::size_t len, std::size_t& done) noexcept = 0;
    // The disconnect paths: half-close (WSASendDisconnect / shutdown(SHUT_WR)), the abortive
    // linger option (SO_LINGER {1,0}), and close.
    virtual int send_disconnect(Sock s) noexcept = 0;
    virtual int set_abortive(Sock s) noexcept = 0;
    virtual int close(Sock s) noexcept = 0;

    // UDP (--protocol udp). A bound datagram socket with room for a window of 64 KiB datagrams
    // (SO_RCVBUF/SO_SNDBUF raised, best effort); `bound` gets the actual address.
    virtual int udp_bind(const Endpoint& at, Sock& out, Endpoint& bound) noexcept = 0;
    // A connected datagram socket (send/recv then talk to `to` only); `local` gets its address.
    virtual int udp_connect(const Endpoint& to, Sock& out, Endpoint& local) noexcept = 0;
    // One datagram each way; receive: `from` gets the sender, `done` the datagram's length.
    virtual int send_to(Sock s, const void* data, std::size_t len, const Endpoint& to,
                        std::size_t& done) noexcept = 0;
    virtual int recv_from(Sock s, void* data, std::size_t len, Endpoint& from,
                          std::size_t& done) noexcept = 0;
};

// riosp through the host's Winsock API. start() runs WSAStartup (after the environment is set).
class RiospTransport final : public Transport {
public:
    // 0, or the WSAStartup error code.
    [[nodiscard]] static int start() noexcept;
    static void stop() noexcept;
    [[nodiscard]] const char* name() const noexcept override { return "riosp"; }
    int listen(const Endpoint& at, Sock& out, Endpoint& bound) noexcept override;
    int accept(Sock listener, Sock& out) noexcept override;
    int connect(const Endpoint& to, Sock& out) noexcept override;
    int send(Sock s, const void* data, std::size_t len, std::size_t& done) noexcept override;
    int recv(Sock s, void* data, std::size_t len, std::size_t& done) noexcept override;
    int send_disconnect(Sock s) noexcept override;
    int set_abortive(Sock s) noexcept override;
    int close(Sock s) noexcept override;
    int udp_bind(const Endpoint& at, Sock& out, Endpoint& bound) noexcept override;
    int udp_connect(const Endpoint& to, Sock& out, Endpoint& local) noexcept override;
    int send_to(Sock s, const void* data, std::size_t len, const Endpoint& to,
                std::size_t& done) noexcept override;
    int recv_from(Sock s, void* data, std::size_t len, Endpoint& from,
                  std::size_t& done) noexcept override;
};

// The system's socket API. baseline(): the system's own TCP and UDP, no riosp code. Plain BSD
// sockets on Linux (raw_baseline_posix.cpp, "bsd"), the system's Winsock provider on Windows
// (raw_baseline_win.cpp, "winsock"). installed_riosp(): the same Winsock calls with sockets
// created from riosp's catalog entries ("riosp"), riosp as applications reach it once
// riosp-install has put it in the catalog.
class SystemTransport final : public Transport {
public:
    // Starts the system's socket API where it needs starting (Winsock's WSAStartup, before the
    // resolver or the baseline runs; nothing on Linux). 0, or the error code. Never stopped:
    // the process ends with it.
    [[nodiscard]] static int start() noexcept;
    // After start(). With riosp installed (and perhaps first in the catalog, where socket()
    // would pick it), sockets from the system's own entries; else socket()'s choice.
    [[nodiscard]] static SystemTransport baseline();
    // riosp's entries in the system's Winsock catalog (WSAEnumProtocolsW, riosp's provider
    // GUID), after start(); null when its TCP/IPv4 entry is not there (always on Linux, which
    // has no catalog).
    [[nodiscard]] static std::unique_ptr<SystemTransport> installed_riosp();
    // The catalog entry id the sockets of this family and kind come from; 0 where socket()
    // chooses, or riosp-install added no such entry.
    [[nodiscard]] std::uint32_t entry_id(bool v6, bool udp) const noexcept;
    [[nodiscard]] const char* name() const noexcept override;
    int listen(const Endpoint& at, Sock& out, Endpoint& bound) noexcept override;
    int accept(Sock listener, Sock& out) noexcept override;
    int connect(const Endpoint& to, Sock& out) noexcept override;
    int send(Sock s, const void* data, std::size_t len, std::size_t& done) noexcept override;
    int recv(Sock s, void* data, std::size_t len, std::size_t& done) noexcept override;
    int send_disconnect(Sock s) noexcept override;
    int set_abortive(Sock s) noexcept override;
    int close(Sock s) noexcept override;
    int udp_bind(const Endpoint& at, Sock& out, Endpoint& bound) noexcept override;
    int udp_connect(const Endpoint& to, Sock& out, Endpoint& local) noexcept override;
    int send_to(Sock s, const void* data, std::size_t len, const Endpoint& to,
                std::size_t& done) noexcept override;
    int recv_from(Sock s, void* data, std::size_t len, Endpoint& from,
                  std::size_t& done) noexcept override;

    // The catalog and whose entries to use (raw_baseline_win.cpp), named here for its helpers.
    struct Entries;

private:
    SystemTransport() = default;
    // Null: socket()'s choice. Shared so that this header needs no Winsock type.
    std::shared_ptr<const Entries> entries_;
};

} // namespace riosp::load
