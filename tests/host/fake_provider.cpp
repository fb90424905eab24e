// A fake base service provider for the host's tests: a minimal WSPStartup that fills all 30
// entries with small in-memory implementations. Each socket is a loopback byte queue (what is
// sent to it can be received from it), so overlapped completions, events and APCs can be driven
// without a network. Every call maps its SOCKET through WPUQuerySocketHandleContext, exactly as
// a non-IFS provider must, which is what lets the tests see the host's handle table at work.
//
// RIOSP_FAKE_MODE (read by WSPStartup) selects misbehaviour: "null_entry" leaves one table
// entry NULL, "old_version" reports WinSock 2.0, "fail" fails WSPStartup with WSASYSNOTREADY,
// "catalog" makes riospGetProtocolCatalog answer with one custom entry.
#include <riosp/spi.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

WSPUPCALLTABLE upcalls{};
std::atomic<int> startup_calls{0};
std::atomic<int> cleanup_calls{0};
std::atomic<int> refcount{0};

struct PendingRecv {
    LPWSABUF buffers = nullptr;
    DWORD count = 0;
    LPWSAOVERLAPPED overlapped = nullptr;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine = nullptr;
    WSATHREADID thread{};
};

struct FakeSocket {
    std::mutex lock;
    WSAPROTOCOL_INFOW info{};
    bool bound = false;
    bool listening = false;
    bool connected = false;
    bool nonblocking = false;
    sockaddr_storage name{};
    int namelen = 0;
    std::string inbox;
    bool has_pending = false;
    PendingRecv pending;
    WSAEVENT event = nullptr;
    LONG event_mask = 0;
    LONG fired = 0;
};

std::mutex sockets_lock;
std::set<FakeSocket*> sockets;

// SOCKET -> FakeSocket through the host, or nullptr with WSAENOTSOCK.
FakeSocket* lookup(SOCKET s, LPINT err) {
    DWORD_PTR context = 0;
    int upcall_err = 0;
    if (upcalls.lpWPUQuerySocketHandleContext(s, &context, &upcall_err) != 0) {
        *err = upcall_err;
        return nullptr;
    }
    return reinterpret_cast<FakeSocket*>(context);
}

struct Completion {
    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
    LPWSAOVERLAPPED overlapped;
    DWORD error;
    DWORD bytes;
};

void CALLBACK run_completion(DWORD_PTR context) {
    auto* c = reinterpret_cast<Completion*>(context);
    c->routine(c->error, c->bytes, c->overlapped, 0);
    delete c;
}

// Completes an overlapped operation the way a provider does: result into the OVERLAPPED,
// then the event (WPUSetEvent), then the completion routine as an APC (WPUQueueApc).
void complete(LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, WSATHREADID thread,
              DWORD error, DWORD bytes) {
    int err = 0;
    ov->Internal = error;
    ov->InternalHigh = bytes;
    if (ov->hEvent != nullptr)
        (void)upcalls.lpWPUSetEvent(ov->hEvent, &err);
    if (routine != nullptr) {
        auto* c = new Completion{routine, ov, error, bytes};
        if (upcalls.lpWPUQueueApc(&thread, run_completion, reinterpret_cast<DWORD_PTR>(c), &err) !=
            0)
            delete c;
    }
}

DWORD copy_out(std::string& inbox, LPWSABUF buffers, DWORD count) {
    DWORD total = 0;
    for (DWORD i = 0; i < count && !inbox.empty(); ++i) {
        const std::size_t n = std::min<std::size_t>(buffers[i].len, inbox.size());
        std::memcpy(buffers[i].buf, inbox.data(), n);
        inbox.erase(0, n);
        total += static_cast<DWORD>(n);
    }
    return total;
}

void signal_network_event(FakeSocket& fs, LONG event) {
    if (fs.event != nullptr && (fs.event_mask & event) != 0) {
        fs.fired |= event;
        int err = 0;
        (void)upcalls.lpWPUSetEvent(fs.event, &err);
    }
}

#define FAIL(code)                                                                                 \
    do {                                                                                           \
        *lpErrno = (code);                                                                         \
        return SOCKET_ERROR;                                                                       \
    } while (0)

#define LOOKUP(fs, s)                                                                              \
    FakeSocket* fs = lookup((s), lpErrno);                                                         \
    if (fs == nullptr)                                                                             \
    return SOCKET_ERROR

SOCKET WSPAPI fake_socket(int af, int type, int protocol, LPWSAPROTOCOL_INFOW info, GROUP, DWORD,
                          LPINT lpErrno) {
    if (info == nullptr || info->iAddressFamily != af || info->iSocketType != type ||
        (protocol != 0 && protocol != info->iProtocol)) {
        *lpErrno = WSAEINVAL;
        return INVALID_SOCKET;
    }
    auto* fs = new FakeSocket();
    fs->info = *info;
    const SOCKET s = upcalls.lpWPUCreateSocketHandle(info->dwCatalogEntryId,
                                                     reinterpret_cast<DWORD_PTR>(fs), lpErrno);
    if (s == INVALID_SOCKET) {
        delete fs;
        return INVALID_SOCKET;
    }
    std::lock_guard guard(sockets_lock);
    sockets.insert(fs);
    return s;
}

int WSPAPI fake_close(SOCKET s, LPINT lpErrno) {
    LOOKUP(fs, s);
    if (upcalls.lpWPUCloseSocketHandle(s, lpErrno) != 0)
        return SOCKET_ERROR; // lost a close race: the winner frees the socket
    {
        std::lock_guard guard(fs->lock);
        if (fs->has_pending)
            complete(fs->pending.overlapped, fs->pending.routine, fs->pending.thread,
                     WSA_OPERATION_ABORTED, 0);
    }
    {
        std::lock_guard guard(sockets_lock);
        sockets.erase(fs);
    }
    delete fs;
    return 0;
}

int WSPAPI fake_bind(SOCKET s, const sockaddr* name, int namelen, LPINT lpErrno) {
    LOOKUP(fs, s);
    if (name == nullptr || namelen < static_cast<int>(sizeof(sockaddr_in)) ||
        namelen > static_cast<int>(sizeof(sockaddr_storage)))
        FAIL(WSAEFAULT);
    std::lock_guard guard(fs->lock);
    if (fs->bound)
        FAIL(WSAEINVAL);
    std::memcpy(&fs->name, name, static_cast<std::size_t>(namelen));
    fs->namelen = namelen;
    fs->bound = true;
    return 0;
}

int WSPAPI fake_listen(SOCKET s, int, LPINT lpErrno) {
    LOOKUP(fs, s);
    std::lock_guard guard(fs->lock);
    if (!fs->bound)
        FAIL(WSAEINVAL);
    fs->listening = true;
    return 0;
}

SOCKET WSPAPI fake_accept(SOCKET s, sockaddr*, LPINT, LPCONDITIONPROC, DWORD_PTR, LPINT lpErrno) {
    FakeSocket* fs = lookup(s, lpErrno);
    if (fs == nullptr)
        return INVALID_SOCKET;
    std::lock_guard guard(fs->lock);
    *lpErrno = fs->listening ? WSAEWOULDBLOCK : WSAEINVAL;
    return INVALID_SOCKET;
}

int WSPAPI fake_connect(SOCKET s, const sockaddr* name, int namelen, LPWSABUF, LPWSABUF, LPQOS,
                        LPQOS, LPINT lpErrno) {
    LOOKUP(fs, s);
    if (name == nullptr || namelen < static_cast<int>(sizeof(sockaddr_in)))
        FAIL(WSAEFAULT);
    sockaddr_in sin{};
    std::memcpy(&sin, name, sizeof sin);
    const auto port = static_cast<USHORT>((sin.sin_port >> 8) | (sin.sin_port << 8)); // ntohs
    if (port == 0)
        FAIL(WSAEADDRNOTAVAIL);
    if (port == 1) // the tests' "nobody listens here" port
        FAIL(WSAECONNREFUSED);
    std::lock_guard guard(fs->lock);
    fs->connected = true;
    signal_network_event(*fs, FD_CONNECT | FD_WRITE);
    return 0;
}

int WSPAPI fake_send(SOCKET s, LPWSABUF buffers, DWORD count, LPDWORD sent, DWORD,
                     LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                     LPWSATHREADID thread, LPINT lpErrno) {
    LOOKUP(fs, s);
    std::lock_guard guard(fs->lock);
    DWORD total = 0;
    for (DWORD i = 0; i < count; ++i) {
        fs->inbox.append(buffers[i].buf, buffers[i].len);
        total += buffers[i].len;
    }
    if (sent != nullptr)
        *sent = total;
    if (fs->has_pending) { // loopback: the data completes the receive waiting for it
        const DWORD n = copy_out(fs->inbox, fs->pending.buffers, fs->pending.count);
        fs->has_pending = false;
        complete(fs->pending.overlapped, fs->pending.routine, fs->pending.thread, 0, n);
    }
    if (!fs->inbox.empty())
        signal_network_event(*fs, FD_READ);
    if (ov != nullptr)
        complete(ov, routine, *thread, 0, total);
    return 0;
}

int WSPAPI fake_recv(SOCKET s, LPWSABUF buffers, DWORD count, LPDWORD received, LPDWORD,
                     LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine,
                     LPWSATHREADID thread, LPINT lpErrno) {
    LOOKUP(fs, s);
    std::lock_guard guard(fs->lock);
    if (!fs->inbox.empty()) {
        const DWORD n = copy_out(fs->inbox, buffers, count);
        if (received != nullptr)
            *received = n;
        if (ov != nullptr)
            complete(ov, routine, *thread, 0, n);
        return 0;
    }
    if (ov == nullptr)
        FAIL(WSAEWOULDBLOCK); // the fake never blocks
    if (fs->has_pending)
        FAIL(WSAEINPROGRESS);
    ov->Internal = WSA_IO_PENDING;
    fs->pending = PendingRecv{buffers, count, ov, routine, *thread};
    fs->has_pending = true;
    FAIL(WSA_IO_PENDING);
}

int WSPAPI fake_send_to(SOCKET s, LPWSABUF buffers, DWORD count, LPDWORD sent, DWORD flags,
                        const sockaddr*, int, LPWSAOVERLAPPED ov,
                        LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
                        LPINT lpErrno) {
    return fake_send(s, buffers, count, sent, flags, ov, routine, thread, lpErrno);
}

int WSPAPI fake_recv_from(SOCKET s, LPWSABUF buffers, DWORD count, LPDWORD received, LPDWORD flags,
                          sockaddr*, LPINT, LPWSAOVERLAPPED ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPWSATHREADID thread,
                          LPINT lpErrno) {
    return fake_recv(s, buffers, count, received, flags, ov, routine, thread, lpErrno);
}

BOOL WSPAPI fake_get_overlapped_result(SOCKET s, LPWSAOVERLAPPED ov, LPDWORD transferred, BOOL,
                                       LPDWORD flags, LPINT lpErrno) {
    if (lookup(s, lpErrno) == nullptr)
        return FALSE;
    if (ov == nullptr || transferred == nullptr || flags == nullptr) {
        *lpErrno = WSAEFAULT;
        return FALSE;
    }
    if (ov->Internal == WSA_IO_PENDING) {
        *lpErrno = WSA_IO_INCOMPLETE;
        return FALSE;
    }
    *transferred = static_cast<DWORD>(ov->InternalHigh);
    *flags = 0;
    if (ov->Internal != 0) {
        *lpErrno = static_cast<int>(ov->Internal);
        return FALSE;
    }
    return TRUE;
}

int WSPAPI fake_get_sock_name(SOCKET s, sockaddr* name, LPINT namelen, LPINT lpErrno) {
    LOOKUP(fs, s);
    std::lock_guard guard(fs->lock);
    if (!fs->bound)
        FAIL(WSAEINVAL);
    if (name == nullptr || namelen == nullptr || *namelen < fs->namelen)
        FAIL(WSAEFAULT);
    std::memcpy(name, &fs->name, static_cast<std::size_t>(fs->namelen));
    *namelen = fs->namelen;
    return 0;
}

int WSPAPI fake_get_peer_name(SOCKET s, sockaddr*, LPINT, LPINT lpErrno) {
    LOOKUP(fs, s);
    FAIL(WSAENOTCONN);
}

int WSPAPI fake_get_sock_opt(SOCKET s, int level, int optname, char* optval, LPINT optlen,
                             LPINT lpErrno) {
    LOOKUP(fs, s);
    if (optval == nullptr || optlen == nullptr)
        FAIL(WSAEFAULT);
    if (level == SOL_SOCKET && optname == SO_TYPE && *optlen >= 4) {
        const int type = SOCK_STREAM;
        std::memcpy(optval, &type, sizeof type);
        *optlen = sizeof type;
        return 0;
    }
    if (level == SOL_SOCKET && optname == SO_PROTOCOL_INFOW &&
        *optlen >= static_cast<int>(sizeof(WSAPROTOCOL_INFOW))) {
        std::lock_guard guard(fs->lock);
        std::memcpy(optval, &fs->info, sizeof fs->info);
        *optlen = sizeof fs->info;
        return 0;
    }
    FAIL(WSAENOPROTOOPT);
}

int WSPAPI fake_set_sock_opt(SOCKET s, int level, int optname, const char*, int, LPINT lpErrno) {
    LOOKUP(fs, s);
    if (level == SOL_SOCKET && (optname == SO_RCVBUF || optname == SO_SNDBUF))
        return 0;
    FAIL(WSAENOPROTOOPT);
}

int WSPAPI fake_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_len, LPVOID out, DWORD out_len,
                      LPDWORD returned, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                      LPWSATHREADID, LPINT lpErrno) {
    LOOKUP(fs, s);
    std::lock_guard guard(fs->lock);
    if (code == FIONBIO && in != nullptr && in_len >= sizeof(u_long)) {
        fs->nonblocking = *static_cast<u_long*>(in) != 0;
        return 0;
    }
    if (code == FIONREAD && out != nullptr && out_len >= sizeof(u_long)) {
        *static_cast<u_long*>(out) = static_cast<u_long>(fs->inbox.size());
        if (returned != nullptr)
            *returned = sizeof(u_long);
        return 0;
    }
    FAIL(WSAEINVAL);
}

int WSPAPI fake_shutdown(SOCKET s, int how, LPINT lpErrno) {
    LOOKUP(fs, s);
    if (how < SD_RECEIVE || how > SD_BOTH)
        FAIL(WSAEINVAL);
    std::lock_guard guard(fs->lock);
    if (!fs->connected)
        FAIL(WSAENOTCONN);
    return 0;
}

int WSPAPI fake_send_disconnect(SOCKET s, LPWSABUF data, LPINT lpErrno) {
    LOOKUP(fs, s);
    if (data != nullptr)
        FAIL(WSAENOPROTOOPT); // TCP has no disconnect data
    std::lock_guard guard(fs->lock);
    if (!fs->connected)
        FAIL(WSAENOTCONN);
    return 0;
}

int WSPAPI fake_recv_disconnect(SOCKET s, LPWSABUF data, LPINT lpErrno) {
    return fake_send_disconnect(s, data, lpErrno);
}

int WSPAPI fake_select(int, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, const timeval*,
                       LPINT lpErrno) {
    // Readable: queued bytes. Writable: always. Nothing exceptional. Never waits.
    int total = 0;
    if (readfds != nullptr) {
        fd_set keep{};
        for (u_int i = 0; i < readfds->fd_count; ++i) {
            LOOKUP(fs, readfds->fd_array[i]);
            std::lock_guard guard(fs->lock);
            if (!fs->inbox.empty())
                keep.fd_array[keep.fd_count++] = readfds->fd_array[i];
        }
        // WPUFDIsSet is the upcall a provider uses to read the application's sets.
        for (u_int i = 0; i < keep.fd_count; ++i)
            if (upcalls.lpWPUFDIsSet(keep.fd_array[i], readfds) == 0)
                FAIL(WSAEFAULT);
        *readfds = keep;
        total += static_cast<int>(keep.fd_count);
    }
    if (writefds != nullptr) {
        for (u_int i = 0; i < writefds->fd_count; ++i) {
            LOOKUP(fs, writefds->fd_array[i]);
            (void)fs;
        }
        total += static_cast<int>(writefds->fd_count);
    }
    if (exceptfds != nullptr)
        FD_ZERO(exceptfds);
    return total;
}

int WSPAPI fake_event_select(SOCKET s, WSAEVENT event, LONG events, LPINT lpErrno) {
    LOOKUP(fs, s);
    std::lock_guard guard(fs->lock);
    fs->event = event;
    fs->event_mask = events;
    fs->fired = 0;
    if (!fs->inbox.empty())
        signal_network_event(*fs, FD_READ);
    return 0;
}

int WSPAPI fake_enum_network_events(SOCKET s, WSAEVENT event, LPWSANETWORKEVENTS out,
                                    LPINT lpErrno) {
    LOOKUP(fs, s);
    if (out == nullptr)
        FAIL(WSAEFAULT);
    std::lock_guard guard(fs->lock);
    *out = WSANETWORKEVENTS{};
    out->lNetworkEvents = fs->fired;
    fs->fired = 0;
    if (event != nullptr && upcalls.lpWPUResetEvent(event, lpErrno) == FALSE)
        return SOCKET_ERROR;
    return 0;
}

int WSPAPI fake_cleanup(LPINT lpErrno) {
    if (refcount.load() == 0)
        FAIL(WSANOTINITIALISED);
    cleanup_calls.fetch_add(1);
    if (refcount.fetch_sub(1) == 1) {
        std::lock_guard guard(sockets_lock);
        for (FakeSocket* fs : sockets)
            delete fs;
        sockets.clear();
    }
    return 0;
}

// Entries a TCP provider does not serve.
INT WSPAPI fake_address_to_string(LPSOCKADDR, DWORD, LPWSAPROTOCOL_INFOW, LPWSTR, LPDWORD,
                                  LPINT lpErrno) {
    FAIL(WSAEOPNOTSUPP);
}
int WSPAPI fake_async_select(SOCKET, HWND, unsigned int, LONG, LPINT lpErrno) {
    FAIL(WSAEOPNOTSUPP);
}
int WSPAPI fake_cancel_blocking_call(LPINT lpErrno) {
    FAIL(WSAEOPNOTSUPP);
}
int WSPAPI fake_duplicate_socket(SOCKET, DWORD, LPWSAPROTOCOL_INFOW, LPINT lpErrno) {
    FAIL(WSAEOPNOTSUPP);
}
BOOL WSPAPI fake_get_qos_by_name(SOCKET, LPWSABUF, LPQOS, LPINT lpErrno) {
    *lpErrno = WSAEOPNOTSUPP;
    return FALSE;
}
SOCKET WSPAPI fake_join_leaf(SOCKET, const sockaddr*, int, LPWSABUF, LPWSABUF, LPQOS, LPQOS, DWORD,
                             LPINT lpErrno) {
    *lpErrno = WSAEOPNOTSUPP;
    return INVALID_SOCKET;
}
INT WSPAPI fake_string_to_address(LPWSTR, INT, LPWSAPROTOCOL_INFOW, LPSOCKADDR, LPINT,
                                  LPINT lpErrno) {
    FAIL(WSAEOPNOTSUPP);
}

std::string_view mode() {
    const char* m = std::getenv("RIOSP_FAKE_MODE");
    return m != nullptr ? m : "";
}

} // namespace

FAKE_EXPORT int WSPAPI WSPStartup(WORD version, LPWSPDATA data, LPWSAPROTOCOL_INFOW info,
                                  WSPUPCALLTABLE upcall_table, LPWSPPROC_TABLE table) {
    startup_calls.fetch_add(1);
    if (mode() == "fail")
        return WSASYSNOTREADY;
    if (version != MAKEWORD(2, 2) || data == nullptr || info == nullptr || table == nullptr)
        return WSAVERNOTSUPPORTED;
    upcalls = upcall_table;
    refcount.fetch_add(1);
    data->wVersion = mode() == "old_version" ? MAKEWORD(2, 0) : MAKEWORD(2, 2);
    data->wHighVersion = data->wVersion;
    *table = WSPPROC_TABLE{
        fake_accept,
        fake_address_to_string,
        fake_async_select,
        fake_bind,
        fake_cancel_blocking_call,
        fake_cleanup,
        fake_close,
        fake_connect,
        fake_duplicate_socket,
        fake_enum_network_events,
        fake_event_select,
        fake_get_overlapped_result,
        fake_get_peer_name,
        fake_get_sock_name,
        fake_get_sock_opt,
        fake_get_qos_by_name,
        fake_ioctl,
        fake_join_leaf,
        fake_listen,
        fake_recv,
        fake_recv_disconnect,
        fake_recv_from,
        fake_select,
        fake_send,
        fake_send_disconnect,
        fake_send_to,
        fake_set_sock_opt,
        fake_shutdown,
        fake_socket,
        fake_string_to_address,
    };
    if (mode() == "null_entry")
        table->lpWSPJoinLeaf = nullptr;
    return 0;
}

// riosp's optional catalog export (see host/catalog.h): only in "catalog" mode.
FAKE_EXPORT int riospGetProtocolCatalog(LPWSAPROTOCOL_INFOW out, LPINT count) {
    if (mode() != "catalog" || count == nullptr)
        return WSAEOPNOTSUPP;
    if (out == nullptr || *count < 1) {
        *count = 1;
        return WSAENOBUFS;
    }
    WSAPROTOCOL_INFOW e{};
    e.dwCatalogEntryId = 0x1234;
    e.ProviderId = GUID{0x11111111, 0x2222, 0x3333, {4, 4, 4, 4, 4, 4, 4, 4}};
    e.ProtocolChain.ChainLen = BASE_PROTOCOL;
    e.iVersion = 2;
    e.iAddressFamily = AF_INET;
    e.iSocketType = SOCK_STREAM;
    e.iProtocol = IPPROTO_TCP;
    e.dwProviderFlags = PFL_MATCHES_PROTOCOL_ZERO;
    out[0] = e;
    *count = 1;
    return 0;
}

// Test hooks: counters and the upcall table the host handed over.
FAKE_EXPORT int riosp_fake_startup_calls() {
    return startup_calls.load();
}
FAKE_EXPORT int riosp_fake_cleanup_calls() {
    return cleanup_calls.load();
}
FAKE_EXPORT const WSPUPCALLTABLE* riosp_fake_upcalls() {
    return &upcalls;
}
