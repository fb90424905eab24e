// Shared set-up for the host tests: point the host at the fake provider and start Winsock.
// Included first in every test file: <riosp/ws.h> must precede any libc header that would
// define glibc's fd_set/timeval (see abi/linux/wintypes.h).
#pragma once

#include <riosp/ws.h>

#include <cstdlib>

#include <gtest/gtest.h>

using namespace riosp::ws; // what an application does: Windows code compiles unchanged

namespace riosp::host::testing {

inline void use_fake_provider(const char* mode = "") {
    ::setenv("RIOSP_PROVIDER_PATH", RIOSP_FAKE_PROVIDER_PATH, 1);
    ::setenv("RIOSP_FAKE_MODE", mode, 1);
}

// Drops every WSAStartup reference this process holds (tests may leave some on failure).
inline void cleanup_all() {
    while (WSACleanup() == 0) {
    }
}

// A started host over the fake provider; torn down completely after each test.
class Started : public ::testing::Test {
protected:
    void SetUp() override {
        use_fake_provider();
        WSADATA data{};
        ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    }
    void TearDown() override { cleanup_all(); }

    static SOCKET tcp4() { return socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); }
};

} // namespace riosp::host::testing
