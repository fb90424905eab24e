// WSPGetSockOpt / WSPSetSockOpt and WSPIoctl.
#include "catalog.h"
#include "completion.h"
#include "data_path.h"
#include "datagram_path.h"
#include "extensions.h"
#include "provider_state.h"
#include "socket.h"
#include "wsp.h"

#include <rio/net.h>

#include <cstring>

namespace riosp::provider {
namespace {

using rio::net::Option;

// Reads a BOOL/int option value as Windows does: at least sizeof(int) bytes.
bool read_int(const char* optval, int optlen, int& out) noexcept {
    if (optval == nullptr || optlen < static_cast<int>(sizeof(int)))
        return false;
    std::memcpy(&out, optval, sizeof out);
    return true;
}

int write_int(char* optval, LPINT optlen, int value, LPINT lpErrno) noexcept {
    if (optval == nullptr || optlen == nullptr || *optlen < static_cast<int>(sizeof(int)))
        return fail(lpErrno, WSAEFAULT);
    std::memcpy(optval, &value, sizeof value);
    *optlen = sizeof(int);
    return 0;
}

// The option's kernel counterpart, for a stream or a datagram socket.
bool kernel_option(int level, int optname, bool datagram, Option& out) noexcept {
    if (level == SOL_SOCKET) {
        switch (optname) {
        case SO_REUSEADDR:
            out = Option::reuse_addr;
            return true;
        case SO_KEEPALIVE:
            out = Option::keep_alive;
            return true;
        case SO_SNDBUF:
            out = Option::send_buffer;
            return true;
        case SO_RCVBUF:
            out = Option::recv_buffer;
            return true;
        case SO_BROADCAST: // only where broadcasting exists, as on Windows
            out = Option::broadcast;
            return datagram;
        default:
            return false;
        }
    }
    if (level == IPPROTO_TCP && optname == TCP_NODELAY) {
        out = Option::no_delay;
        return !datagram; // Linux's kernel answers EOPNOTSUPP for UDP, Windows WSAENOPROTOOPT
    }
    if (level == IPPROTO_IPV6 && optname == IPV6_V6ONLY) {
        out = Option::v6_only;
        return true;
    }
    return false;
}

} // namespace

int WSPAPI WSPSetSockOpt(SOCKET s, int level, int optname, const char* optval, int optlen,
                         LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    if (level == SOL_SOCKET && optname == SO_LINGER) {
        if (optval == nullptr || optlen < static_cast<int>(sizeof(linger)))
            return fail(lpErrno, WSAEFAULT);
        linger l;
        std::memcpy(&l, optval, sizeof l);
        sock->linger_on = l.l_onoff != 0;
        sock->linger_seconds = l.l_linger;
        return 0;
    }
    int value = 0;
    if (level == SOL_SOCKET && optname == SO_DONTLINGER) {
        if (!read_int(optval, optlen, value))
            return fail(lpErrno, WSAEFAULT);
        sock->linger_on = value == 0;
        return 0;
    }
    Option o;
    if (!kernel_option(level, optname, sock->datagram(), o))
        return fail(lpErrno, WSAENOPROTOOPT);
    if (!read_int(optval, optlen, value))
        return fail(lpErrno, WSAEFAULT);
    if (int err = rio::net::set_option(sock->fd, o, value))
        return fail(lpErrno, err);
    return 0;
}

int WSPAPI WSPGetSockOpt(SOCKET s, int level, int optname, char* optval, LPINT optlen,
                         LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    std::lock_guard lock(sock->mutex);
    if (closed_meanwhile(*sock, lpErrno))
        return SOCKET_ERROR;
    if (level == SOL_SOCKET) {
        switch (optname) {
        case SO_LINGER: {
            if (optval == nullptr || optlen == nullptr ||
                *optlen < static_cast<int>(sizeof(linger)))
                return fail(lpErrno, WSAEFAULT);
            linger l{static_cast<u_short>(sock->linger_on ? 1 : 0), sock->linger_seconds};
            std::memcpy(optval, &l, sizeof l);
            *optlen = sizeof l;
            return 0;
        }
        case SO_DONTLINGER:
            return write_int(optval, optlen, sock->linger_on ? 0 : 1, lpErrno);
        case SO_ERROR: {
            int err = sock->so_error;
            sock->so_error = 0; // reading SO_ERROR clears it, as on Windows
            return write_int(optval, optlen, err, lpErrno);
        }
        case SO_TYPE:
            return write_int(optval, optlen, sock->datagram() ? SOCK_DGRAM : SOCK_STREAM, lpErrno);
        case SO_ACCEPTCONN:
            return write_int(optval, optlen, sock->conn() == HalfCloseConn::listening ? 1 : 0,
                             lpErrno);
        case SO_PROTOCOL_INFOW: {
            if (optval == nullptr || optlen == nullptr ||
                *optlen < static_cast<int>(sizeof(WSAPROTOCOL_INFOW)))
                return fail(lpErrno, WSAEFAULT);
            const WSAPROTOCOL_INFOW* info =
                sock->datagram() ? find_protocol(sock->family, SOCK_DGRAM, IPPROTO_UDP)
                                 : find_protocol(sock->family, SOCK_STREAM, IPPROTO_TCP);
            std::memcpy(optval, info, sizeof *info);
            *optlen = sizeof *info;
            return 0;
        }
        default:
            break;
        }
    }
    Option o;
    if (!kernel_option(level, optname, sock->datagram(), o))
        return fail(lpErrno, WSAENOPROTOOPT);
    int value = 0;
    if (int err = rio::net::get_option(sock->fd, o, value))
        return fail(lpErrno, err);
    if (o == Option::reuse_addr || o == Option::keep_alive || o == Option::no_delay ||
        o == Option::v6_only || o == Option::broadcast)
        value = value != 0 ? 1 : 0;
    return write_int(optval, optlen, value, lpErrno);
}

namespace {

// The ioctls riosp answers, all of which complete inside the call: 0 or SOCKET_ERROR.
int ioctl_now(Socket& sock, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
              LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
              LPINT lpErrno) noexcept {
    switch (dwIoControlCode) {
    case FIONBIO: {
        if (lpvInBuffer == nullptr || cbInBuffer < sizeof(u_long))
            return fail(lpErrno, WSAEFAULT);
        u_long on = 0;
        std::memcpy(&on, lpvInBuffer, sizeof on);
        std::lock_guard lock(sock.mutex);
        if (closed_meanwhile(sock, lpErrno))
            return SOCKET_ERROR;
        // Windows refuses to go blocking while WSPEventSelect is active.
        if (on == 0 && sock.event_mask != 0)
            return fail(lpErrno, WSAEINVAL);
        if (int err = set_mode(sock, on != 0))
            return fail(lpErrno, err);
        *lpcbBytesReturned = 0;
        return 0;
    }
    case FIONREAD: {
        if (lpvOutBuffer == nullptr || cbOutBuffer < sizeof(u_long))
            return fail(lpErrno, WSAEFAULT);
        std::lock_guard lock(sock.mutex);
        if (closed_meanwhile(sock, lpErrno))
            return SOCKET_ERROR;
        if (sock.datagram()) {
            // The next datagram's size (Linux and Windows both answer so for UDP): the one the
            // ring took in, or the kernel's first.
            int next = 0;
            if (int err = datagram_readable_bytes(sock, next))
                return fail(lpErrno, err);
            const u_long n = static_cast<u_long>(next < 0 ? 0 : next);
            std::memcpy(lpvOutBuffer, &n, sizeof n);
            *lpcbBytesReturned = sizeof n;
            return 0;
        }
        // Buffered in the ring, plus what the kernel holds that no receive has taken yet.
        int in_kernel = 0;
        if (sock.conn() != HalfCloseConn::connected ||
            rio::net::readable_bytes(sock.fd, in_kernel) != 0 || in_kernel < 0)
            in_kernel = 0;
        u_long n = sock.recv_ring.used() + static_cast<u_long>(in_kernel);
        std::memcpy(lpvOutBuffer, &n, sizeof n);
        *lpcbBytesReturned = sizeof n;
        return 0;
    }
    case SIO_GET_EXTENSION_FUNCTION_POINTER:
    case SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER:
        return extension_function(dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer,
                                  cbOutBuffer, lpcbBytesReturned, lpErrno);
    default:
        return fail(lpErrno, WSAEINVAL);
    }
}

} // namespace

int WSPAPI WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
                    LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
                    LPWSAOVERLAPPED lpOverlapped,
                    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                    LPWSATHREADID lpThreadId, LPINT lpErrno) {
    SocketRef sock = lookup(s, lpErrno);
    if (sock == nullptr)
        return SOCKET_ERROR;
    DWORD returned = 0;
    if (ioctl_now(*sock, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                  &returned, lpErrno) != 0)
        return SOCKET_ERROR; // a call that fails at once gives no completion indication
    if (lpcbBytesReturned != nullptr)
        *lpcbBytesReturned = returned;
    if (lpOverlapped != nullptr) {
        // Every ioctl above completes inside the call; an overlapped one still reports as one
        // that completed at once: its event signalled, or its routine queued to this thread
        // (WSAIoctl, as WSASend and WSARecv).
        PendingOp op;
        op.overlapped = true;
        op.handle = s;
        op.ov = lpOverlapped;
        op.routine = lpCompletionRoutine;
        if (lpThreadId != nullptr)
            op.thread = *lpThreadId;
        complete_overlapped(op, 0, returned);
    }
    return 0;
}

} // namespace riosp::provider
