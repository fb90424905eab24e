// The provider's procedure table (WSPStartup hands a copy to ws2_32): all 30 entries, from the
// wsp_*.cpp files that implement them. The README's coverage table lists what each answers.
#include "wsp.h"

namespace riosp::provider {

WSPPROC_TABLE proc_table() noexcept {
    WSPPROC_TABLE t{};
    t.lpWSPAccept = WSPAccept;
    t.lpWSPAddressToString = WSPAddressToString;
    t.lpWSPAsyncSelect = WSPAsyncSelect;
    t.lpWSPBind = WSPBind;
    t.lpWSPCancelBlockingCall = WSPCancelBlockingCall;
    t.lpWSPCleanup = WSPCleanup;
    t.lpWSPCloseSocket = WSPCloseSocket;
    t.lpWSPConnect = WSPConnect;
    t.lpWSPDuplicateSocket = WSPDuplicateSocket;
    t.lpWSPEnumNetworkEvents = WSPEnumNetworkEvents;
    t.lpWSPEventSelect = WSPEventSelect;
    t.lpWSPGetOverlappedResult = WSPGetOverlappedResult;
    t.lpWSPGetPeerName = WSPGetPeerName;
    t.lpWSPGetSockName = WSPGetSockName;
    t.lpWSPGetSockOpt = WSPGetSockOpt;
    t.lpWSPGetQOSByName = WSPGetQOSByName;
    t.lpWSPIoctl = WSPIoctl;
    t.lpWSPJoinLeaf = WSPJoinLeaf;
    t.lpWSPListen = WSPListen;
    t.lpWSPRecv = WSPRecv;
    t.lpWSPRecvDisconnect = WSPRecvDisconnect;
    t.lpWSPRecvFrom = WSPRecvFrom;
    t.lpWSPSelect = WSPSelect;
    t.lpWSPSend = WSPSend;
    t.lpWSPSendDisconnect = WSPSendDisconnect;
    t.lpWSPSendTo = WSPSendTo;
    t.lpWSPSetSockOpt = WSPSetSockOpt;
    t.lpWSPShutdown = WSPShutdown;
    t.lpWSPSocket = WSPSocket;
    t.lpWSPStringToAddress = WSPStringToAddress;
    return t;
}

} // namespace riosp::provider
