// How an overlapped result leaves the provider: the WSAOVERLAPPED fields Windows documents for
// non-IFS providers, and ws2_32's WPUCompleteOverlappedRequest when the process has one that
// takes the handle (real Windows); otherwise the provider notifies by itself (riosp's host,
// Wine's stub). ws2_32 is replaced by a fake that records what it is told.
#include <completion.h>
#include <upcalls.h>

#include <gtest/gtest.h>

namespace riosp::provider {
namespace {

struct Reported {
    int calls = 0;
    SOCKET handle = INVALID_SOCKET;
    LPWSAOVERLAPPED ov = nullptr;
    DWORD error = 0;
    DWORD bytes = 0;
};
Reported g_reported;

void record(SOCKET s, LPWSAOVERLAPPED ov, DWORD error, DWORD bytes) {
    ++g_reported.calls;
    g_reported = Reported{g_reported.calls, s, ov, error, bytes};
}

// Real ws2_32: takes it, marks the WSAOVERLAPPED done its own way.
int WSPAPI ws2_takes_it(SOCKET s, LPWSAOVERLAPPED ov, DWORD error, DWORD bytes, LPINT) {
    record(s, ov, error, bytes);
    ov->Internal = 0;
    return 0;
}
// Wine's stub: returns 0 all the same, but says WSAEINVAL and does nothing.
int WSPAPI ws2_stub(SOCKET s, LPWSAOVERLAPPED ov, DWORD error, DWORD bytes, LPINT err) {
    record(s, ov, error, bytes);
    *err = WSAEINVAL;
    return 0;
}

class ProviderOverlappedCompletion : public ::testing::Test {
protected:
    void SetUp() override {
        g_reported = {};
        op.overlapped = true;
        op.handle = static_cast<SOCKET>(0x1234);
        op.ov = &ov;
        op.flags = 0x42;
        mark_pending(&ov);
    }
    void TearDown() override { set_ws2_complete_for_testing(resolve_ws2_complete()); }

    WSAOVERLAPPED ov{};
    PendingOp op;
};

TEST_F(ProviderOverlappedCompletion,
       InFlightIsWssOperationInProgressAsHasOverlappedIoCompletedReadsIt) {
    EXPECT_EQ(ov.Internal, 0x103U); // WSS_OPERATION_IN_PROGRESS
    EXPECT_EQ(overlapped_status(&ov), WSA_IO_PENDING);
}

TEST_F(ProviderOverlappedCompletion, IsReportedToWs2UnderTheApplicationsHandleWhenItTakesIt) {
    set_ws2_complete_for_testing(ws2_takes_it);
    complete_overlapped(op, WSAECONNRESET, 7);
    EXPECT_EQ(g_reported.calls, 1);
    EXPECT_EQ(g_reported.handle, static_cast<SOCKET>(0x1234));
    EXPECT_EQ(g_reported.ov, &ov);
    EXPECT_EQ(g_reported.error, static_cast<DWORD>(WSAECONNRESET));
    EXPECT_EQ(g_reported.bytes, 7U);
    // ws2_32 owns Internal now; the result is still read back right.
    EXPECT_EQ(overlapped_status(&ov), WSAECONNRESET);
    EXPECT_EQ(overlapped_bytes(&ov), 7U);
    EXPECT_EQ(overlapped_flags(&ov), 0x42U);
}

TEST_F(ProviderOverlappedCompletion, CompletesByItselfWhenWs2RefusesTheHandle) {
    set_ws2_complete_for_testing(ws2_stub);
    complete_overlapped(op, 0, 9);
    EXPECT_EQ(g_reported.calls, 1) << "asked first";
    EXPECT_NE(ov.Internal, 0x103U) << "then marked done by the provider";
    EXPECT_EQ(overlapped_status(&ov), 0);
    EXPECT_EQ(overlapped_bytes(&ov), 9U);
}

TEST_F(ProviderOverlappedCompletion, CompletesByItselfWithoutWs2) {
    set_ws2_complete_for_testing(nullptr);
    complete_overlapped(op, WSAESHUTDOWN, 0);
    EXPECT_EQ(g_reported.calls, 0);
    EXPECT_EQ(overlapped_status(&ov), WSAESHUTDOWN);
}

TEST_F(ProviderOverlappedCompletion, AnOpWithoutAHandleIsNeverReportedToWs2) {
    set_ws2_complete_for_testing(ws2_takes_it);
    op.handle = INVALID_SOCKET;
    complete_overlapped(op, 0, 1);
    EXPECT_EQ(g_reported.calls, 0);
    EXPECT_EQ(overlapped_status(&ov), 0);
}

// A fake WPUQueueApc: keeps the one APC it is given, or refuses as for a thread that is gone.
struct QueuedApc {
    LPWSAUSERAPC fn = nullptr;
    DWORD_PTR context = 0;
    bool refuse = false;
};
QueuedApc g_apc;
int WSPAPI fake_queue_apc(LPWSATHREADID, LPWSAUSERAPC fn, DWORD_PTR context, LPINT err) {
    if (g_apc.refuse) {
        *err = WSAEINVAL;
        return SOCKET_ERROR;
    }
    g_apc.fn = fn;
    g_apc.context = context;
    return 0;
}

struct RoutineCall {
    int calls = 0;
    DWORD error = 0, bytes = 0, flags = 0;
    LPWSAOVERLAPPED ov = nullptr;
};
RoutineCall g_routine;
void CALLBACK routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags) {
    g_routine = RoutineCall{g_routine.calls + 1, error, bytes, flags, ov};
}

class ProviderCompletionRoutine : public ProviderOverlappedCompletion {
protected:
    void SetUp() override {
        ProviderOverlappedCompletion::SetUp();
        WSPUPCALLTABLE t{};
        t.lpWPUQueueApc = fake_queue_apc;
        set_upcalls(t);
        g_apc = {};
        g_routine = {};
        op.routine = routine;
    }
};

TEST_F(ProviderCompletionRoutine, ItsResultIsReadableWhileTheRoutineWaitsForItsThread) {
    complete_overlapped(op, WSAECONNRESET, 5);
    ASSERT_NE(g_apc.fn, nullptr);
    EXPECT_EQ(g_routine.calls, 0);
    EXPECT_EQ(overlapped_status(&ov), WSAECONNRESET);
    EXPECT_EQ(overlapped_bytes(&ov), 5U);
    g_apc.fn(g_apc.context); // the thread's alertable wait
    EXPECT_EQ(g_routine.calls, 1);
    EXPECT_EQ(g_routine.error, static_cast<DWORD>(WSAECONNRESET));
    EXPECT_EQ(g_routine.bytes, 5U);
    EXPECT_EQ(g_routine.flags, 0x42U);
    EXPECT_EQ(g_routine.ov, &ov);
    EXPECT_EQ(overlapped_status(&ov), WSAECONNRESET) << "still done after the routine";
}

TEST_F(ProviderCompletionRoutine, ARoutineWhoseThreadIsGoneLeavesTheResultReadable) {
    g_apc.refuse = true;
    complete_overlapped(op, 0, 3);
    EXPECT_EQ(overlapped_status(&ov), 0);
    EXPECT_EQ(overlapped_bytes(&ov), 3U);
    EXPECT_EQ(g_routine.calls, 0);
}

} // namespace
} // namespace riosp::provider
