#include "wsa_error.h"

namespace riosp::rio {

// Values are the Windows ones (winsock2.h); spelled out so that this file needs no Windows
// header and can sit beside Linux system headers.
int wsa_from_errno(int err) noexcept {
    switch (err) {
    case EINTR:
        return 10004; // WSAEINTR
    case EBADF:
        return 10038; // WSAENOTSOCK: not a (live) socket
    case EACCES:
    case EPERM:
        return 10013; // WSAEACCES
    case EFAULT:
        return 10014; // WSAEFAULT
    case EINVAL:
        return 10022; // WSAEINVAL
    case EMFILE:
    case ENFILE:
        return 10024; // WSAEMFILE
    case EAGAIN:
        return 10035; // WSAEWOULDBLOCK
    case EINPROGRESS:
        return 10036; // WSAEINPROGRESS
    case EALREADY:
        return 10037; // WSAEALREADY
    case ENOTSOCK:
        return 10038; // WSAENOTSOCK
    case EDESTADDRREQ:
        return 10039; // WSAEDESTADDRREQ
    case EMSGSIZE:
        return 10040; // WSAEMSGSIZE
    case EPROTOTYPE:
        return 10041; // WSAEPROTOTYPE
    case ENOPROTOOPT:
        return 10042; // WSAENOPROTOOPT
    case EPROTONOSUPPORT:
        return 10043; // WSAEPROTONOSUPPORT
    case ESOCKTNOSUPPORT:
        return 10044; // WSAESOCKTNOSUPPORT
    case EOPNOTSUPP:
        return 10045; // WSAEOPNOTSUPP
    case EPFNOSUPPORT:
        return 10046; // WSAEPFNOSUPPORT
    case EAFNOSUPPORT:
        return 10047; // WSAEAFNOSUPPORT
    case EADDRINUSE:
        return 10048; // WSAEADDRINUSE
    case EADDRNOTAVAIL:
        return 10049; // WSAEADDRNOTAVAIL
    case ENETDOWN:
        return 10050; // WSAENETDOWN
    case ENETUNREACH:
        return 10051; // WSAENETUNREACH
    case ENETRESET:
        return 10052; // WSAENETRESET
    case ECONNABORTED:
        return 10053; // WSAECONNABORTED
    case ECONNRESET:
    case EPIPE:
        return 10054; // WSAECONNRESET: the peer reset us
    case ENOBUFS:
    case ENOMEM:
        return 10055; // WSAENOBUFS
    case EISCONN:
        return 10056; // WSAEISCONN
    case ENOTCONN:
        return 10057; // WSAENOTCONN
    case ESHUTDOWN:
        return 10058; // WSAESHUTDOWN
    case ETOOMANYREFS:
        return 10059; // WSAETOOMANYREFS
    case ETIMEDOUT:
        return 10060; // WSAETIMEDOUT
    case ECONNREFUSED:
        return 10061; // WSAECONNREFUSED
    case ELOOP:
        return 10062; // WSAELOOP
    case ENAMETOOLONG:
        return 10063; // WSAENAMETOOLONG
    case EHOSTDOWN:
        return 10064; // WSAEHOSTDOWN
    case EHOSTUNREACH:
        return 10065; // WSAEHOSTUNREACH
    case ECANCELED:
        return 995; // WSA_OPERATION_ABORTED
    case ENOSYS:
        return 10045; // WSAEOPNOTSUPP: backend lacks the operation
    default:
        return 10107; // WSASYSCALLFAILURE
    }
}

} // namespace riosp::rio
