// The ONE I/O completion port of the process and its thread (the Windows counterpart of
// posix/progress_thread.cpp): overlapped WSASend/WSARecv packets and native RIO notifications
// both arrive here. The thread runs while CQs of the Windows backends exist: the first retain
// starts it, the last release stops and joins it, so a process that closed its last CQ (the
// provider's last WSPCleanup) has no rio thread, and a DLL can be unloaded after it.
#include <rio/win/detail_win.h>

#include <gsl/gsl>

#include <cstdio>
#include <mutex>
#include <thread>

namespace riosp::rio::detail {
namespace {

class Port {
public:
    static Port& instance() noexcept {
        // Never destroyed: sockets stay associated with the port for their whole life, and
        // queues may be closed from static destructors.
        static Port* port = new Port;
        return *port;
    }
    [[nodiscard]] HANDLE handle() const noexcept { return port_; }

    [[nodiscard]] int retain() noexcept {
        if (port_ == nullptr)
            return wsa::enobufs;
        std::lock_guard lock(life_mu_);
        if (users_++ == 0) {
            try {
                thread_ = std::thread([this] { run(); });
            } catch (...) {
                --users_;
                return wsa::enobufs;
            }
        }
        return 0;
    }
    void release() noexcept {
        std::lock_guard lock(life_mu_);
        Expects(users_ > 0);
        if (--users_ != 0)
            return;
        PostQueuedCompletionStatus(port_, 0, kStopKey, nullptr);
        thread_.join();
    }

private:
    Port() noexcept : port_(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1)) {
        if (port_ == nullptr)
            std::fprintf(stderr, "riosp: rio CreateIoCompletionPort failed with %lu\n",
                         GetLastError());
    }
    void run() noexcept {
        OVERLAPPED_ENTRY entries[64];
        for (;;) {
            ULONG n = 0;
            if (!GetQueuedCompletionStatusEx(port_, entries, 64, &n, INFINITE, FALSE))
                continue;
            bool stop = false;
            for (ULONG i = 0; i < n; ++i) {
                const OVERLAPPED_ENTRY& e = entries[i];
                if (e.lpOverlapped == nullptr)
                    stop = stop || e.lpCompletionKey == kStopKey;
                else if (e.lpCompletionKey == kNativeNotifyKey)
                    native_on_packet(e);
                else
                    overlapped_on_packet(e);
            }
            if (stop)
                return;
        }
    }

    HANDLE port_ = nullptr;
    std::mutex life_mu_; // users_, thread_; never taken by the port's thread
    std::size_t users_ = 0;
    std::thread thread_;
};

} // namespace

HANDLE completion_port() noexcept {
    return Port::instance().handle();
}

int port_retain() noexcept {
    return Port::instance().retain();
}

void port_release() noexcept {
    Port::instance().release();
}

} // namespace riosp::rio::detail
