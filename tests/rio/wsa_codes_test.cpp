// rio/wsa_error.h's short names are aliases of the codes abi/linux/winerror.h defines (it cannot
// include the Windows-layout winsock2.h beside Linux headers); this translation unit includes
// winsock2.h as well and checks that the aliases, and the errno translation, name its codes.
#include <rio/wsa_error.h>

#include <winsock2.h>

#include <gtest/gtest.h>

namespace {

TEST(RioWsaCodes, MatchTheWinsockHeader) {
    using namespace riosp::rio;
    EXPECT_EQ(wsa::operation_aborted, WSA_OPERATION_ABORTED);
    EXPECT_EQ(wsa::efault, WSAEFAULT);
    EXPECT_EQ(wsa::einval, WSAEINVAL);
    EXPECT_EQ(wsa::ealready, WSAEALREADY);
    EXPECT_EQ(wsa::enotsock, WSAENOTSOCK);
    EXPECT_EQ(wsa::eopnotsupp, WSAEOPNOTSUPP);
    EXPECT_EQ(wsa::econnreset, WSAECONNRESET);
    EXPECT_EQ(wsa::enobufs, WSAENOBUFS);
    EXPECT_EQ(wsa::etoomanyrefs, WSAETOOMANYREFS);
    EXPECT_EQ(wsa::eintr, WSAEINTR);
    EXPECT_EQ(wsa::ewouldblock, WSAEWOULDBLOCK);
    EXPECT_EQ(wsa::etimedout, WSAETIMEDOUT);
    EXPECT_EQ(wsa_from_errno(ECANCELED), WSA_OPERATION_ABORTED);
    EXPECT_EQ(wsa_from_errno(EPIPE), WSAECONNRESET);
}

} // namespace
