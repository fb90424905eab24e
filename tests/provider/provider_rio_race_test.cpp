// Races on provider sockets, made to happen at the one point where they matter: the provider
// under test is riosp_provider_testing, which exports its own copy of rio's C-table hook
// (riospTestingSetRioTableHook, rio/rio_testing.h), and a test holds one call there while
// another thread races it.
#include "provider_fixture.h"

#include <rio/rio_testing.h>

#include <dlfcn.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace riosp::test {
namespace {

using rio::testing::TableHook;
using rio::testing::TableStep;
using SetHookFn = void (*)(TableHook, void*);

SetHookFn set_hook_fn() {
    void* module = dlopen(RIOSP_PROVIDER_TESTING, RTLD_NOW | RTLD_NOLOAD);
    return module == nullptr
               ? nullptr
               : reinterpret_cast<SetHookFn>(dlsym(module, "riospTestingSetRioTableHook"));
}

class ProviderRioRace : public ProviderTest {
protected:
    void SetUp() override {
        ::setenv("RIOSP_PROVIDER_PATH", RIOSP_PROVIDER_TESTING, 1);
        ProviderTest::SetUp();
        set_hook_ = set_hook_fn();
        ASSERT_NE(set_hook_, nullptr) << "riosp_provider_testing exports its rio hook";
    }
    void TearDown() override {
        if (set_hook_ != nullptr)
            set_hook_(nullptr, nullptr);
        ProviderTest::TearDown();
    }
    SetHookFn set_hook_ = nullptr;
};

// Holds this thread's next C-table call up at `step` and runs `racer` meanwhile on its own
// thread, waiting for it at most 200 ms: whether it got through while the call was held is
// the verdict. The racer is joined at end() (it may be waiting for the held call).
class RaceAt {
public:
    RaceAt(SetHookFn set_hook, TableStep step, std::function<void()> racer)
        : set_hook_(set_hook), step_(step), racer_(std::move(racer)),
          caller_(std::this_thread::get_id()) {
        set_hook_(&RaceAt::on_step, this);
    }
    ~RaceAt() { end(); }
    RaceAt(const RaceAt&) = delete;
    RaceAt& operator=(const RaceAt&) = delete;
    void end() {
        set_hook_(nullptr, nullptr);
        if (thread_.joinable())
            thread_.join();
    }
    [[nodiscard]] bool held() const { return held_; }
    [[nodiscard]] bool racer_got_through() const { return through_; }

private:
    static void on_step(TableStep step, void* arg) {
        auto* self = static_cast<RaceAt*>(arg);
        if (step != self->step_ || std::this_thread::get_id() != self->caller_ || self->held_)
            return;
        self->held_ = true;
        self->thread_ = std::thread([self] {
            self->racer_();
            std::lock_guard lock(self->mu_);
            self->done_ = true;
            self->cv_.notify_all();
        });
        std::unique_lock lock(self->mu_);
        self->through_ = self->cv_.wait_for(lock, std::chrono::milliseconds(200),
                                            [self] { return self->done_; });
    }
    const SetHookFn set_hook_;
    const TableStep step_;
    const std::function<void()> racer_;
    const std::thread::id caller_;
    bool held_ = false;
    bool through_ = false;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
};

// closesocket racing RIOCreateRequestQueue on the same socket, held while rio is about to make
// the queue, with the racer opening the next connection right after its close: the close
// waits for the creation and closes the new queue with the socket. Before, the provider let go
// of the socket's lock around the creation: the close went through, the next connection got
// the descriptor number (and the socket object), and the queue was made over that connection's
// socket and handed to it: the old socket's queue sent on the new connection.
TEST_F(ProviderRioRace, CloseSocketRacingRioCreateRequestQueueClosesTheNewQueueWithTheSocket) {
    int peer = -1;
    SOCKET s = connect_pair(peer);
    const RIO_EXTENSION_FUNCTION_TABLE rio = rio_table_of(s);
    ASSERT_NE(rio.RIOCreateRequestQueue, nullptr);
    static char region[64];
    const RIO_BUFFERID buf = rio.RIORegisterBuffer(region, sizeof region);
    const RIO_CQ cq = rio.RIOCreateCompletionQueue(16, nullptr);
    ASSERT_NE(cq, RIO_INVALID_CQ);
    int closed = -1;
    int peer2 = -1;
    SOCKET s2 = INVALID_SOCKET;
    RIO_RQ rq = RIO_INVALID_RQ;
    {
        RaceAt race(set_hook_, TableStep::in_call, [&] {
            closed = ws::closesocket(s);
            s2 = connect_pair(peer2); // likely on the closed socket's descriptor number
        });
        rq = rio.RIOCreateRequestQueue(s, 2, 1, 2, 1, cq, cq, nullptr);
        race.end();
        ASSERT_TRUE(race.held());
        EXPECT_FALSE(race.racer_got_through())
            << "closesocket went through while RIOCreateRequestQueue was making the queue";
    }
    EXPECT_EQ(closed, 0);
    ASSERT_NE(s2, INVALID_SOCKET);
    EXPECT_NE(rq, RIO_INVALID_RQ) << "the creation came first: " << ws::WSAGetLastError();
    std::memcpy(region, "stale", 5);
    RIO_BUF slice{buf, 0, 5};
    ws::WSASetLastError(0);
    EXPECT_FALSE(rio.RIOSend(rq, &slice, 1, 0, nullptr)) << "the queue closed with its socket";
    EXPECT_EQ(ws::WSAGetLastError(), WSAEINVAL);
    std::string got;
    EXPECT_NE(bsd::read_exact(peer2, got, 1, 100), 0) << "bytes reached the next connection";
    EXPECT_EQ(got, "");
    EXPECT_EQ(send_str(s2, "mine"), 4) << "the next connection is the provider's own";
    EXPECT_EQ(bsd::read_exact(peer2, got, 4, 5000), 0);
    EXPECT_EQ(got, "mine");
    ws::closesocket(s2);
    bsd::close_socket(peer2);
    bsd::close_socket(peer);
    RIORESULT drain[4];
    while (rio.RIODequeueCompletion(cq, drain, 4) > 0) {
    }
    rio.RIOCloseCompletionQueue(cq);
    rio.RIODeregisterBuffer(buf);
}

} // namespace
} // namespace riosp::test
