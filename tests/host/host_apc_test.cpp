// APCs: queued with WPUQueueApc to a thread's WSATHREADID, run only when that thread enters an
// alertable wait, which then returns WSA_WAIT_IO_COMPLETION; never on another thread.
#include "host_test_support.h"

#include "host/upcalls.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace {

class HostApc : public riosp::host::testing::Started {
protected:
    void SetUp() override {
        Started::SetUp();
        upcalls_ = riosp::host::upcall_table();
    }
    WSATHREADID current_thread_id() {
        WSATHREADID id{};
        int error = 0;
        EXPECT_EQ(upcalls_.lpWPUOpenCurrentThread(&id, &error), 0);
        return id;
    }
    int queue(WSATHREADID id, LPWSAUSERAPC fn, DWORD_PTR context, int* error = nullptr) {
        int ignored = 0;
        return upcalls_.lpWPUQueueApc(&id, fn, context, error != nullptr ? error : &ignored);
    }
    WSPUPCALLTABLE upcalls_{};
};

struct Record {
    std::atomic<int> runs{0};
    std::atomic<std::thread::id> thread{};
};

void CALLBACK record_apc(DWORD_PTR context) {
    auto* r = reinterpret_cast<Record*>(context);
    r->thread.store(std::this_thread::get_id());
    r->runs.fetch_add(1);
}

TEST_F(HostApc, QueuedApcDoesNotRunOutsideAnAlertableWait) {
    Record r;
    ASSERT_EQ(queue(current_thread_id(), record_apc, reinterpret_cast<DWORD_PTR>(&r)), 0);
    WSAEVENT e = WSACreateEvent();
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 10, FALSE), WSA_WAIT_TIMEOUT);
    EXPECT_EQ(SleepEx(10, FALSE), 0u);
    ASSERT_TRUE(WSASetEvent(e));
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
    EXPECT_EQ(r.runs.load(), 0);
    EXPECT_EQ(SleepEx(0, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
    EXPECT_EQ(r.runs.load(), 1);
    (void)WSACloseEvent(e);
}

TEST_F(HostApc, AlertableWaitRunsQueuedApcsAndReturnsIoCompletion) {
    Record r;
    const WSATHREADID self = current_thread_id();
    ASSERT_EQ(queue(self, record_apc, reinterpret_cast<DWORD_PTR>(&r)), 0);
    ASSERT_EQ(queue(self, record_apc, reinterpret_cast<DWORD_PTR>(&r)), 0);
    WSAEVENT e = WSACreateEvent();
    ASSERT_TRUE(WSASetEvent(e)); // even a signalled event: queued APCs come first
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, WSA_INFINITE, TRUE), WSA_WAIT_IO_COMPLETION);
    EXPECT_EQ(r.runs.load(), 2) << "every queued APC runs in one alertable wait";
    EXPECT_EQ(r.thread.load(), std::this_thread::get_id());
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 0, TRUE), WSA_WAIT_EVENT_0)
        << "nothing left queued: the wait sees the event";
    (void)WSACloseEvent(e);
}

std::vector<int> order;
void CALLBACK push_order(DWORD_PTR value) {
    order.push_back(static_cast<int>(value));
}

TEST_F(HostApc, ApcsRunInTheOrderTheyWereQueued) {
    order.clear();
    const WSATHREADID self = current_thread_id();
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(queue(self, push_order, static_cast<DWORD_PTR>(i)), 0);
    EXPECT_EQ(SleepEx(0, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(HostApc, ApcRunsOnlyOnTheThreadItWasQueuedTo) {
    Record r;
    std::promise<WSATHREADID> id_promise;
    std::promise<void> queued;
    std::promise<DWORD> result;
    std::thread target([&] {
        id_promise.set_value(current_thread_id());
        queued.get_future().wait();
        result.set_value(SleepEx(5000, TRUE));
    });
    const WSATHREADID target_id = id_promise.get_future().get();
    ASSERT_EQ(queue(target_id, record_apc, reinterpret_cast<DWORD_PTR>(&r)), 0);
    // This thread's alertable waits do not run another thread's APCs.
    EXPECT_EQ(SleepEx(10, TRUE), 0u);
    WSAEVENT e = WSACreateEvent();
    EXPECT_EQ(WSAWaitForMultipleEvents(1, &e, FALSE, 10, TRUE), WSA_WAIT_TIMEOUT);
    EXPECT_EQ(r.runs.load(), 0);
    queued.set_value();
    EXPECT_EQ(result.get_future().get(), static_cast<DWORD>(WAIT_IO_COMPLETION));
    const std::thread::id target_thread = target.get_id();
    target.join();
    EXPECT_EQ(r.runs.load(), 1);
    EXPECT_EQ(r.thread.load(), target_thread);
    (void)WSACloseEvent(e);
}

TEST_F(HostApc, AlertableWaitWakesWhenAnotherThreadQueuesAnApc) {
    Record r;
    std::promise<WSATHREADID> id_promise;
    std::promise<DWORD> result;
    std::thread target([&] {
        id_promise.set_value(current_thread_id());
        WSAEVENT e = WSACreateEvent(); // never signalled
        result.set_value(WSAWaitForMultipleEvents(1, &e, FALSE, WSA_INFINITE, TRUE));
        (void)WSACloseEvent(e);
    });
    const WSATHREADID target_id = id_promise.get_future().get();
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // let it block
    ASSERT_EQ(queue(target_id, record_apc, reinterpret_cast<DWORD_PTR>(&r)), 0);
    auto future = result.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(future.get(), WSA_WAIT_IO_COMPLETION);
    target.join();
    EXPECT_EQ(r.runs.load(), 1);
}

TEST_F(HostApc, ApcToAnExitedThreadIsRefused) {
    WSATHREADID gone{};
    std::thread([&] { gone = current_thread_id(); }).join();
    Record r;
    int error = 0;
    EXPECT_EQ(queue(gone, record_apc, reinterpret_cast<DWORD_PTR>(&r), &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEINVAL);
    // A new thread may reuse the record; the old id still does not reach it.
    std::thread([&] {
        (void)current_thread_id();
        EXPECT_EQ(queue(gone, record_apc, reinterpret_cast<DWORD_PTR>(&r), &error), SOCKET_ERROR);
        EXPECT_EQ(SleepEx(0, TRUE), 0u);
    }).join();
    EXPECT_EQ(r.runs.load(), 0);
}

TEST_F(HostApc, ForgedOrNullThreadIdsAndRoutinesAreRefused) {
    int error = 0;
    WSATHREADID forged{reinterpret_cast<HANDLE>(0x10001), 0};
    Record r;
    EXPECT_EQ(queue(forged, record_apc, reinterpret_cast<DWORD_PTR>(&r), &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEINVAL);
    EXPECT_EQ(queue(current_thread_id(), nullptr, 0, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEFAULT);
    EXPECT_EQ(upcalls_.lpWPUQueueApc(nullptr, record_apc, 0, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEFAULT);
    WSATHREADID self = current_thread_id();
    EXPECT_EQ(upcalls_.lpWPUCloseThread(&self, &error), 0);
    EXPECT_EQ(upcalls_.lpWPUCloseThread(&forged, &error), SOCKET_ERROR);
    EXPECT_EQ(error, WSAEINVAL);
}

struct RoutineResult {
    std::atomic<int> runs{0};
    DWORD error = 0;
    DWORD bytes = 0;
    std::thread::id thread{};
};
RoutineResult routine_result;

void CALLBACK completion_routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED, DWORD) {
    routine_result.error = error;
    routine_result.bytes = bytes;
    routine_result.thread = std::this_thread::get_id();
    routine_result.runs.fetch_add(1);
}

// The full overlapped path: WSARecv hands the provider this thread's WSATHREADID; the data
// arrives from another thread, the provider queues the completion routine to the issuing
// thread, and it runs there, in its alertable wait only.
TEST_F(HostApc, CompletionRoutineRunsOnTheIssuingThreadInItsAlertableWait) {
    routine_result.runs = 0;
    const SOCKET s = tcp4();
    ASSERT_NE(s, INVALID_SOCKET);
    char buffer[8] = {};
    WSABUF buf{sizeof buffer, buffer};
    WSAOVERLAPPED ov{};
    DWORD flags = 0;
    ASSERT_EQ(WSARecv(s, &buf, 1, nullptr, &flags, &ov, completion_routine), SOCKET_ERROR);
    ASSERT_EQ(WSAGetLastError(), WSA_IO_PENDING);
    std::thread([&] { EXPECT_EQ(send(s, "abc", 3, 0), 3); }).join();
    EXPECT_EQ(SleepEx(20, FALSE), 0u);
    EXPECT_EQ(routine_result.runs.load(), 0) << "not alertable: the routine waits";
    EXPECT_EQ(SleepEx(5000, TRUE), static_cast<DWORD>(WAIT_IO_COMPLETION));
    EXPECT_EQ(routine_result.runs.load(), 1);
    EXPECT_EQ(routine_result.error, 0u);
    EXPECT_EQ(routine_result.bytes, 3u);
    EXPECT_EQ(routine_result.thread, std::this_thread::get_id());
    EXPECT_EQ(std::string(buffer, 3), "abc");
    EXPECT_EQ(closesocket(s), 0);
}

void CALLBACK count_apc(DWORD_PTR context) {
    reinterpret_cast<std::atomic<int>*>(context)->fetch_add(1);
}

// Several producers queue to one consumer that loops in alertable waits: every APC runs
// exactly once, on the consumer, and none is lost to a wake-up race (run under TSan too).
TEST_F(HostApc, ApcsQueuedFromManyThreadsAllRunExactlyOnce) {
    constexpr int producers = 4;
    constexpr int per_producer = 500;
    std::atomic<int> ran{0};
    std::promise<WSATHREADID> id_promise;
    std::thread consumer([&] {
        id_promise.set_value(current_thread_id());
        WSAEVENT never = WSACreateEvent();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (ran.load() < producers * per_producer && std::chrono::steady_clock::now() < deadline)
            (void)WSAWaitForMultipleEvents(1, &never, FALSE, 100, TRUE);
        (void)WSACloseEvent(never);
    });
    const WSATHREADID target = id_promise.get_future().get();
    std::vector<std::thread> threads;
    std::atomic<int> refused{0};
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&] {
            for (int i = 0; i < per_producer; ++i)
                if (queue(target, count_apc, reinterpret_cast<DWORD_PTR>(&ran)) != 0)
                    refused.fetch_add(1);
        });
    for (auto& t : threads)
        t.join();
    consumer.join();
    EXPECT_EQ(refused.load(), 0);
    EXPECT_EQ(ran.load(), producers * per_producer);
}

TEST_F(HostApc, SleepExAlertableTimesOutWithoutApcs) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(SleepEx(30, TRUE), 0u);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
}

} // namespace
