// The native RIO probe (rio/win/native_rio_win.h): on Windows 8+ the 13 functions, under Wine the
// overlapped fallback with the reason in the log line.
#include <rio/win/native_rio_win.h>

#include <gtest/gtest.h>

#include <windows.h>

namespace riosp::rio::win {
namespace {

bool under_wine() {
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

TEST(NativeRioWin, ProbeFindsTheTableOrSaysWhyNot) {
    const auto probe = probe_native_rio(false);
    const auto line = describe(probe);
    if (probe.available) {
        EXPECT_FALSE(under_wine());
        EXPECT_EQ(probe.table.cbSize, sizeof(RIO_EXTENSION_FUNCTION_TABLE));
        EXPECT_NE(probe.table.RIOCreateCompletionQueue, nullptr);
        EXPECT_NE(probe.table.RIODequeueCompletion, nullptr);
        EXPECT_NE(line.find("native RIO"), std::string::npos) << line;
        return;
    }
    EXPECT_NE(probe.error, 0);
    EXPECT_NE(line.find("overlapped"), std::string::npos) << line;
    EXPECT_NE(line.find(std::to_string(probe.error)), std::string::npos) << line;
    if (under_wine()) {
        EXPECT_STREQ(probe.step, "WSAIoctl") << "Wine creates the socket but has no RIO";
        EXPECT_EQ(probe.error, WSAEOPNOTSUPP);
        EXPECT_NE(line.find("WSAEOPNOTSUPP"), std::string::npos) << line;
    }
}

TEST(NativeRioWin, ForcedOffSkipsTheProbe) {
    const auto probe = probe_native_rio(true);
    EXPECT_FALSE(probe.available);
    EXPECT_TRUE(probe.forced_off);
    EXPECT_EQ(describe(probe),
              "riosp: rio backend overlapped (forced by RIOSP_RIO_BACKEND=overlapped)");
}

TEST(NativeRioWin, CachedAnswerIsStable) {
    const auto& a = native_rio();
    const auto& b = native_rio();
    EXPECT_EQ(&a, &b);
}

} // namespace
} // namespace riosp::rio::win
