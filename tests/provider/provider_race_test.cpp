// Races between a call and a close, or the last WSACleanup, in other threads: the call never acts
// on the next socket that takes its slot, a slot is recycled once per life, and every call that
// WSACleanup overtakes returns an error instead of crashing (docs/threading.md, "Handle lookup
// and a socket's lives"; docs/half-close.md, D9).
//
// Each reproducer forces its interleaving: the provider's test build (riosp_provider_race_hooks,
// provider/test_hooks.h) calls this file's hook at fixed points, where a marked thread stops
// until the test lets it go on. A stress loop without hooks follows them.
#include "provider_fixture.h"

#include <dlfcn.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace riosp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The provider module these tests load: the build with the hooks.
const bool provider_chosen = [] {
    return ::setenv("RIOSP_PROVIDER_PATH", RIOSP_RACE_PROVIDER, 1) == 0;
}();

// provider/test_hooks.h's points.
enum Hook : int { lookup = 0, adopt = 1, linger_wait = 2, cleanup_waits = 3, watcher_event = 4 };

// What the hook shares with the tests. A marked thread (any thread: `pause_any`) stops at
// `pause_at` (once) until `go`.
struct Hooks {
    std::mutex mu;
    std::condition_variable cv;
    int pause_at = -1;
    bool pause_any = false;
    bool paused = false;
    bool go = false;
    bool go_when_cleanup_waits = false; // the last WSACleanup waiting for calls lets it go on
    std::array<int, 5> hits{};
};
Hooks g_hooks;
thread_local bool t_marked = false;

void on_hook(int point, std::uintptr_t, void*) {
    Hooks& h = g_hooks;
    std::unique_lock lock(h.mu);
    ++h.hits[static_cast<std::size_t>(point)];
    if (point == cleanup_waits && h.go_when_cleanup_waits)
        h.go = true;
    h.cv.notify_all();
    if (!(t_marked || h.pause_any) || point != h.pause_at || h.paused)
        return;
    h.paused = true;
    h.cv.notify_all();
    h.cv.wait(lock, [&] { return h.go; });
}

using SetHookFn = void (*)(void (*)(int, std::uintptr_t, void*), void*);
using InUseFn = int (*)();

void* provider_module() {
    return dlopen(RIOSP_RACE_PROVIDER, RTLD_NOW | RTLD_NOLOAD);
}

class ProviderRaceTest : public ProviderTest {
protected:
    void SetUp() override {
        ASSERT_TRUE(provider_chosen);
        ProviderTest::SetUp();
        void* module = provider_module();
        ASSERT_NE(module, nullptr);
        auto set_hook = reinterpret_cast<SetHookFn>(dlsym(module, "riospTestSetHook"));
        in_use_ = reinterpret_cast<InUseFn>(dlsym(module, "riospSocketsInUse"));
        ASSERT_NE(set_hook, nullptr) << "the provider's test build exports riospTestSetHook";
        ASSERT_NE(in_use_, nullptr);
        {
            std::lock_guard lock(g_hooks.mu);
            g_hooks.pause_at = -1;
            g_hooks.pause_any = false;
            g_hooks.paused = false;
            g_hooks.go = false;
            g_hooks.go_when_cleanup_waits = false;
            g_hooks.hits = {};
        }
        set_hook(on_hook, nullptr);
    }
    void TearDown() override {
        go(); // never leave a thread stopped
        ProviderTest::TearDown();
    }

    // The next marked thread to reach `point` stops there.
    static void pause_at(Hook point, bool go_when_cleanup_waits = false) {
        std::lock_guard lock(g_hooks.mu);
        g_hooks.pause_at = point;
        g_hooks.go_when_cleanup_waits = go_when_cleanup_waits;
    }
    // The next thread of the provider's own to reach `point` stops there.
    static void pause_provider_thread_at(Hook point) {
        std::lock_guard lock(g_hooks.mu);
        g_hooks.pause_at = point;
        g_hooks.pause_any = true;
    }
    [[nodiscard]] static bool wait_paused() {
        std::unique_lock lock(g_hooks.mu);
        return g_hooks.cv.wait_for(lock, 5s, [] { return g_hooks.paused; });
    }
    [[nodiscard]] static bool wait_hit(Hook point, int times = 1) {
        std::unique_lock lock(g_hooks.mu);
        return g_hooks.cv.wait_for(lock, 5s, [&] { return g_hooks.hits[point] >= times; });
    }
    [[nodiscard]] static int hits(Hook point) {
        std::lock_guard lock(g_hooks.mu);
        return g_hooks.hits[point];
    }
    static void go() {
        std::lock_guard lock(g_hooks.mu);
        g_hooks.go = true;
        g_hooks.cv.notify_all();
    }

    // Sockets in use once the workers have had time to recycle what they still held (5 s).
    [[nodiscard]] int settled_in_use(int expected) const {
        const auto until = Clock::now() + 5s;
        int n = in_use_();
        while (n != expected && Clock::now() < until) {
            std::this_thread::sleep_for(1ms);
            n = in_use_();
        }
        return n;
    }

    // A connected socket whose send ring holds bytes the peer does not take, blocking again, with
    // SO_LINGER {1, seconds}: its close lingers.
    SOCKET lingering_socket(int& peer, u_short seconds) {
        SOCKET s = connect_pair(peer);
        u_long on = 1;
        EXPECT_EQ(ws::ioctlsocket(s, FIONBIO, &on), 0);
        const std::vector<char> chunk(64 * 1024, 'x');
        for (int i = 0; i < 4096; ++i)
            if (ws::send(s, chunk.data(), static_cast<int>(chunk.size()), 0) == SOCKET_ERROR)
                break;
        EXPECT_EQ(ws::WSAGetLastError(), WSAEWOULDBLOCK) << "the send ring must be full";
        u_long off = 0;
        EXPECT_EQ(ws::ioctlsocket(s, FIONBIO, &off), 0);
        linger l{1, seconds};
        EXPECT_EQ(
            ws::setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l),
            0);
        return s;
    }

    InUseFn in_use_ = nullptr;
};

// A call's result and WSAGetLastError, from another thread.
struct Outcome {
    std::atomic<long long> rc{0};
    std::atomic<int> error{0};
    void set(long long r) {
        rc = r;
        error = ws::WSAGetLastError();
    }
};

// --- Item 1: a handle's next life -------------------------------------------------------------

TEST_F(ProviderRaceTest, SendRacingACloseNeverReachesTheNextSocketInItsSlot) {
    int first_peer = -1;
    SOCKET first = connect_pair(first_peer);
    pause_at(lookup);
    Outcome sent;
    std::thread sender([&] {
        t_marked = true;
        sent.set(ws::send(first, "stale", 5, 0));
    });
    ASSERT_TRUE(wait_paused()) << "the send must stop between its lookup and its work";
    ASSERT_EQ(ws::closesocket(first), 0);
    int second_peer = -1;
    SOCKET second = connect_pair(second_peer); // takes the slot `first` left, if it is free
    go();
    sender.join();
    EXPECT_EQ(sent.rc.load(), SOCKET_ERROR);
    EXPECT_EQ(sent.error.load(), WSAENOTSOCK);
    ASSERT_EQ(send_str(second, "fresh"), 5);
    std::string got;
    ASSERT_EQ(bsd::read_exact(second_peer, got, 5, 5000), 0);
    EXPECT_EQ(got, "fresh") << "the closed handle's send went out on the next connection";
    EXPECT_EQ(ws::closesocket(second), 0);
    bsd::close_socket(first_peer);
    bsd::close_socket(second_peer);
}

TEST_F(ProviderRaceTest, CloseRacingACloseNeverClosesTheNextSocketInItsSlot) {
    SOCKET first = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    pause_at(lookup);
    Outcome closed;
    std::thread loser([&] {
        t_marked = true;
        closed.set(ws::closesocket(first));
    });
    ASSERT_TRUE(wait_paused());
    ASSERT_EQ(ws::closesocket(first), 0);
    SOCKET second = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    go();
    loser.join();
    EXPECT_EQ(closed.rc.load(), SOCKET_ERROR);
    EXPECT_EQ(closed.error.load(), WSAENOTSOCK);
    EXPECT_EQ(get_int(second, SOL_SOCKET, SO_TYPE), SOCK_STREAM) << "the loser closed it";
    EXPECT_EQ(ws::closesocket(second), 0);
    EXPECT_EQ(settled_in_use(0), 0);
}

TEST_F(ProviderRaceTest, SetSockOptRacingACloseNeverChangesTheNextSocketInItsSlot) {
    SOCKET first = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    pause_at(lookup);
    Outcome set;
    std::thread setter([&] {
        t_marked = true;
        const linger l{1, 7};
        set.set(ws::setsockopt(first, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l),
                               sizeof l));
    });
    ASSERT_TRUE(wait_paused());
    ASSERT_EQ(ws::closesocket(first), 0);
    SOCKET second = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    go();
    setter.join();
    EXPECT_EQ(set.rc.load(), SOCKET_ERROR);
    EXPECT_EQ(set.error.load(), WSAENOTSOCK);
    linger back{};
    int len = sizeof back;
    ASSERT_EQ(ws::getsockopt(second, SOL_SOCKET, SO_LINGER, reinterpret_cast<char*>(&back), &len),
              0);
    EXPECT_EQ(back.l_onoff, 0) << "the closed handle's option landed on the next socket";
    EXPECT_EQ(ws::closesocket(second), 0);
}

TEST_F(ProviderRaceTest, LingeringCloseRacingAnotherCloseRecyclesItsSlotOnce) {
    const int before = in_use_();
    int peer = -1;
    SOCKET s = lingering_socket(peer, 2);
    Outcome lingered;
    std::thread closer([&] { lingered.set(ws::closesocket(s)); });
    ASSERT_TRUE(wait_hit(linger_wait)) << "the close must linger";
    // Another thread closes the same handle abortively while the first close waits.
    const linger abort_now{1, 0};
    ASSERT_EQ(ws::setsockopt(s, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&abort_now),
                             sizeof abort_now),
              0);
    ASSERT_EQ(ws::closesocket(s), 0);
    closer.join();
    EXPECT_EQ(lingered.rc.load(), SOCKET_ERROR) << "the handle was closed twice";
    EXPECT_EQ(lingered.error.load(), WSAENOTSOCK);
    EXPECT_EQ(settled_in_use(before), before) << "the slot was recycled twice";
    // Two new sockets are two objects: each keeps its own option.
    SOCKET a = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKET b = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    set_int(a, SOL_SOCKET, SO_DONTLINGER, 0);
    EXPECT_EQ(get_int(b, SOL_SOCKET, SO_DONTLINGER), 1);
    EXPECT_EQ(in_use_(), before + 2);
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
    bsd::close_socket(peer);
}

TEST_F(ProviderRaceTest, WatcherEventAfterACloseNeverReachesTheNextSocketInItsSlot) {
    // A listener with FD_ACCEPT selected: a connection makes the watcher raise FD_ACCEPT.
    std::uint16_t first_port = 0;
    SOCKET first = provider_listener(first_port);
    WSAEVENT first_event = ws::WSACreateEvent();
    pause_provider_thread_at(watcher_event);
    ASSERT_EQ(ws::WSAEventSelect(first, first_event, FD_ACCEPT), 0);
    const int client = bsd::connect_loopback(first_port);
    ASSERT_GE(client, 0);
    ASSERT_TRUE(wait_paused()) << "the watcher must stop with the listener's event";
    ASSERT_EQ(ws::closesocket(first), 0);
    // The next listener, in the slot `first` left, has no connection waiting.
    std::uint16_t second_port = 0;
    SOCKET second = provider_listener(second_port);
    WSAEVENT second_event = ws::WSACreateEvent();
    ASSERT_EQ(ws::WSAEventSelect(second, second_event, FD_ACCEPT), 0);
    go();
    EXPECT_EQ(ws::WSAWaitForMultipleEvents(1, &second_event, TRUE, 300, FALSE), WSA_WAIT_TIMEOUT)
        << "the closed listener's FD_ACCEPT reached the next socket";
    WSANETWORKEVENTS events{};
    ASSERT_EQ(ws::WSAEnumNetworkEvents(second, nullptr, &events), 0);
    EXPECT_EQ(events.lNetworkEvents, 0);
    EXPECT_EQ(ws::closesocket(second), 0);
    ws::WSACloseEvent(first_event);
    ws::WSACloseEvent(second_event);
    bsd::close_socket(client);
}

// --- Item 11: the last WSACleanup racing other calls ---------------------------------------------

TEST_F(ProviderRaceTest, LingeringCloseRacingTheLastCleanupRecyclesItsSlotOnce) {
    int peer = -1;
    SOCKET s = lingering_socket(peer, 2);
    Outcome lingered;
    std::thread closer([&] { lingered.set(ws::closesocket(s)); });
    ASSERT_TRUE(wait_hit(linger_wait)) << "the close must linger";
    ASSERT_EQ(ws::WSACleanup(), 0);
    closer.join();
    EXPECT_EQ(lingered.rc.load(), SOCKET_ERROR);
    EXPECT_EQ(lingered.error.load(), WSAENETDOWN);
    WSADATA data{};
    ASSERT_EQ(ws::WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(settled_in_use(0), 0) << "the slot was recycled twice";
    SOCKET a = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKET b = ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    EXPECT_EQ(in_use_(), 2);
    EXPECT_EQ(ws::closesocket(a), 0);
    EXPECT_EQ(ws::closesocket(b), 0);
    bsd::close_socket(peer);
}

TEST_F(ProviderRaceTest, SendRacingTheLastCleanupFailsWithNetworkDown) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    pause_at(lookup, true);
    Outcome sent;
    std::thread sender([&] {
        t_marked = true;
        sent.set(ws::send(s, "late", 4, 0));
    });
    ASSERT_TRUE(wait_paused());
    // The cleanup waits for the send (and the hook lets it go on then), or returns first.
    std::thread cleanup([] {
        EXPECT_EQ(ws::WSACleanup(), 0);
        go();
    });
    cleanup.join();
    sender.join();
    EXPECT_EQ(sent.rc.load(), SOCKET_ERROR);
    EXPECT_EQ(sent.error.load(), WSAENETDOWN);
    bsd::close_socket(peer);
}

TEST_F(ProviderRaceTest, SocketRacingTheLastCleanupFailsInsteadOfUsingTheStoppedPool) {
    pause_at(adopt);
    Outcome made;
    std::thread maker([&] {
        t_marked = true;
        made.set(static_cast<long long>(ws::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
    });
    ASSERT_TRUE(wait_paused()) << "the socket call must stop before it takes a slot";
    ASSERT_EQ(ws::WSACleanup(), 0);
    go();
    maker.join();
    EXPECT_EQ(static_cast<SOCKET>(made.rc.load()), INVALID_SOCKET);
    EXPECT_EQ(made.error.load(), WSAENETDOWN);
    WSADATA data{};
    ASSERT_EQ(ws::WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(settled_in_use(0), 0);
}

TEST_F(ProviderRaceTest, AcceptRacingTheLastCleanupFailsInsteadOfUsingTheStoppedPool) {
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    pause_at(adopt, true);
    Outcome accepted;
    std::thread acceptor([&] {
        t_marked = true;
        accepted.set(static_cast<long long>(ws::accept(ls, nullptr, nullptr)));
    });
    const int client = bsd::connect_loopback(port);
    ASSERT_GE(client, 0);
    ASSERT_TRUE(wait_paused()) << "the accept must stop with its connection, before its socket";
    ASSERT_EQ(ws::WSACleanup(), 0);
    go();
    acceptor.join();
    EXPECT_EQ(static_cast<SOCKET>(accepted.rc.load()), INVALID_SOCKET);
    EXPECT_EQ(accepted.error.load(), WSAENETDOWN);
    // The connection it took is closed, not leaked.
    std::string got;
    const int end = bsd::read_to_end(client, got, 5000);
    EXPECT_TRUE(end == 0 || end == ECONNRESET) << end;
    bsd::close_socket(client);
}

// Not a reproducer (the calls below ended before the fix too), but the whole promise: every call
// blocked in the provider when the last WSACleanup comes fails with WSAEINTR, and nothing of
// their sockets is left.
TEST_F(ProviderRaceTest, LastCleanupEndsEveryBlockedCallWithWsaeintr) {
    int receiving_peer = -1, sending_peer = -1;
    SOCKET receiving = connect_pair(receiving_peer);
    SOCKET sending = connect_pair(sending_peer);
    std::uint16_t port = 0;
    SOCKET ls = provider_listener(port);
    Outcome received, sent, accepted;
    std::atomic<int> left{0};
    const std::vector<char> big(32 * 1024 * 1024, 's'); // more than the peer's buffers take
    const int lookups_before = hits(lookup);
    std::vector<std::thread> blocked;
    blocked.emplace_back([&] {
        char buf[16];
        received.set(ws::recv(receiving, buf, sizeof buf, 0)); // waits in the kernel
        ++left;
    });
    blocked.emplace_back([&] {
        sent.set(ws::send(sending, big.data(), static_cast<int>(big.size()), 0)); // on `cv`
        ++left;
    });
    blocked.emplace_back([&] {
        accepted.set(static_cast<long long>(ws::accept(ls, nullptr, nullptr)));
        ++left;
    });
    // Every call has found its socket (on a loaded machine a thread can take longer than any
    // fixed sleep to get there; a call that comes after the cleanup fails WSANOTINITIALISED),
    // then has time to block.
    ASSERT_TRUE(wait_hit(lookup, lookups_before + 3));
    std::this_thread::sleep_for(200ms);
    ASSERT_EQ(left.load(), 0) << "every call must be blocked";
    ASSERT_EQ(ws::WSACleanup(), 0);
    for (auto& t : blocked)
        t.join();
    for (const Outcome* o : {&received, &sent}) {
        EXPECT_EQ(o->rc.load(), SOCKET_ERROR);
        EXPECT_EQ(o->error.load(), WSAEINTR);
    }
    EXPECT_EQ(static_cast<SOCKET>(accepted.rc.load()), INVALID_SOCKET);
    EXPECT_EQ(accepted.error.load(), WSAEINTR);
    WSADATA data{};
    ASSERT_EQ(ws::WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(settled_in_use(0), 0);
    bsd::close_socket(receiving_peer);
    bsd::close_socket(sending_peer);
}

// --- Without hooks: sends, closes and new sockets at once, for a while --------------------------

// Senders write their connection's tag on whatever handle the table holds; a churner closes
// handles and connects new ones in their place. Every peer must only ever see its own tag.
TEST_F(ProviderRaceTest, SendsClosesAndNewSocketsAtOnceNeverCrossConnections) {
    constexpr std::size_t slots = 4;
    struct Entry {
        SOCKET s = INVALID_SOCKET;
        char tag = 0;
    };
    struct Closed {
        int peer;
        char tag;
    };
    std::mutex mu;
    std::array<Entry, slots> table{};
    std::array<int, slots> peers{};
    std::vector<Closed> closed;
    unsigned char next_tag = 1;
    // Non-blocking, so that no sender waits for a peer that reads nothing.
    auto open_entry = [&](std::size_t i) {
        Entry e{connect_pair(peers[i]), static_cast<char>(next_tag)};
        next_tag = next_tag == 250 ? 1 : static_cast<unsigned char>(next_tag + 1);
        u_long on = 1;
        EXPECT_EQ(ws::ioctlsocket(e.s, FIONBIO, &on), 0);
        return e;
    };
    for (std::size_t i = 0; i < slots; ++i)
        table[i] = open_entry(i);
    std::atomic<bool> stop{false};
    auto sender = [&](unsigned seed) {
        while (!stop.load()) {
            seed = seed * 1103515245u + 12345u;
            Entry e;
            {
                std::lock_guard lock(mu);
                e = table[(seed >> 16) % slots];
            }
            const std::string msg(16, e.tag);
            (void)ws::send(e.s, msg.data(), static_cast<int>(msg.size()), 0);
        }
    };
    std::thread a(sender, 1u), b(sender, 2u);
    const auto until = Clock::now() + 1s;
    for (std::size_t round = 0; Clock::now() < until; ++round) {
        const std::size_t i = round % slots;
        Entry old;
        {
            std::lock_guard lock(mu);
            old = table[i];
        }
        EXPECT_EQ(ws::closesocket(old.s), 0);
        closed.push_back(Closed{peers[i], old.tag});
        const Entry fresh = open_entry(i);
        std::lock_guard lock(mu);
        table[i] = fresh;
    }
    stop = true;
    a.join();
    b.join();
    for (std::size_t i = 0; i < slots; ++i) {
        EXPECT_EQ(ws::closesocket(table[i].s), 0);
        closed.push_back(Closed{peers[i], table[i].tag});
    }
    for (const Closed& c : closed) {
        std::string got;
        (void)bsd::read_to_end(c.peer, got, 5000);
        EXPECT_EQ(got.find_first_not_of(c.tag), std::string::npos)
            << "a peer got another connection's bytes";
        bsd::close_socket(c.peer);
    }
    EXPECT_EQ(settled_in_use(0), 0);
}

} // namespace
} // namespace riosp::test
