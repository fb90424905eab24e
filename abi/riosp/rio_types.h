// Registered I/O types (mswsockdef.h / mswsock.h of the Windows SDK), one definition for every
// platform.
//
// Why ours: Debian's MinGW-w64 headers have no RIO declarations at all, and on Linux there is no
// Windows SDK; both builds take them from here. Layouts are the Windows x64 ones and are
// checked in tests/abi.
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#else
#include "wintypes.h"
typedef UINT_PTR SOCKET;
#endif

typedef struct RIO_BUFFERID_t* RIO_BUFFERID;
typedef struct RIO_CQ_t* RIO_CQ;
typedef struct RIO_RQ_t* RIO_RQ;

#define RIO_INVALID_BUFFERID ((RIO_BUFFERID)(ULONG_PTR)0xFFFFFFFF)
#define RIO_INVALID_CQ ((RIO_CQ)0)
#define RIO_INVALID_RQ ((RIO_RQ)0)

#define RIO_MSG_DONT_NOTIFY 0x00000001
#define RIO_MSG_DEFER 0x00000002
#define RIO_MSG_WAITALL 0x00000004
#define RIO_MSG_COMMIT_ONLY 0x00000008
#define RIO_MAX_CQ_SIZE 0x8000000
#define RIO_CORRUPT_CQ 0xFFFFFFFF

typedef struct _RIORESULT {
    LONG Status;
    ULONG BytesTransferred;
    ULONGLONG SocketContext;
    ULONGLONG RequestContext;
} RIORESULT, *PRIORESULT;

typedef struct _RIO_BUF {
    RIO_BUFFERID BufferId;
    ULONG Offset;
    ULONG Length;
} RIO_BUF, *PRIO_BUF;

typedef enum _RIO_NOTIFICATION_COMPLETION_TYPE {
    RIO_EVENT_COMPLETION = 1,
    RIO_IOCP_COMPLETION = 2,
} RIO_NOTIFICATION_COMPLETION_TYPE,
    *PRIO_NOTIFICATION_COMPLETION_TYPE;

typedef struct _RIO_NOTIFICATION_COMPLETION {
    RIO_NOTIFICATION_COMPLETION_TYPE Type;
    union {
        struct {
            HANDLE EventHandle;
            BOOL NotifyReset;
        } Event;
        struct {
            HANDLE IocpHandle;
            PVOID CompletionKey;
            PVOID Overlapped;
        } Iocp;
    };
} RIO_NOTIFICATION_COMPLETION, *PRIO_NOTIFICATION_COMPLETION;

typedef BOOL(PASCAL* LPFN_RIORECEIVE)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount,
                                      DWORD Flags, PVOID RequestContext);
typedef int(PASCAL* LPFN_RIORECEIVEEX)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount,
                                       PRIO_BUF pLocalAddress, PRIO_BUF pRemoteAddress,
                                       PRIO_BUF pControlContext, PRIO_BUF pFlags, DWORD Flags,
                                       PVOID RequestContext);
typedef BOOL(PASCAL* LPFN_RIOSEND)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount,
                                   DWORD Flags, PVOID RequestContext);
typedef BOOL(PASCAL* LPFN_RIOSENDEX)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount,
                                     PRIO_BUF pLocalAddress, PRIO_BUF pRemoteAddress,
                                     PRIO_BUF pControlContext, PRIO_BUF pFlags, DWORD Flags,
                                     PVOID RequestContext);
typedef VOID(PASCAL* LPFN_RIOCLOSECOMPLETIONQUEUE)(RIO_CQ CQ);
typedef RIO_CQ(PASCAL* LPFN_RIOCREATECOMPLETIONQUEUE)(
    DWORD QueueSize, PRIO_NOTIFICATION_COMPLETION NotificationCompletion);
typedef RIO_RQ(PASCAL* LPFN_RIOCREATEREQUESTQUEUE)(SOCKET Socket, ULONG MaxOutstandingReceive,
                                                   ULONG MaxReceiveDataBuffers,
                                                   ULONG MaxOutstandingSend,
                                                   ULONG MaxSendDataBuffers, RIO_CQ ReceiveCQ,
                                                   RIO_CQ SendCQ, PVOID SocketContext);
typedef ULONG(PASCAL* LPFN_RIODEQUEUECOMPLETION)(RIO_CQ CQ, PRIORESULT Array, ULONG ArraySize);
typedef VOID(PASCAL* LPFN_RIODEREGISTERBUFFER)(RIO_BUFFERID BufferId);
typedef INT(PASCAL* LPFN_RIONOTIFY)(RIO_CQ CQ);
typedef RIO_BUFFERID(PASCAL* LPFN_RIOREGISTERBUFFER)(PCHAR DataBuffer, DWORD DataLength);
typedef BOOL(PASCAL* LPFN_RIORESIZECOMPLETIONQUEUE)(RIO_CQ CQ, DWORD QueueSize);
typedef BOOL(PASCAL* LPFN_RIORESIZEREQUESTQUEUE)(RIO_RQ RQ, DWORD MaxOutstandingReceive,
                                                 DWORD MaxOutstandingSend);

typedef struct _RIO_EXTENSION_FUNCTION_TABLE {
    DWORD cbSize;
    LPFN_RIORECEIVE RIOReceive;
    LPFN_RIORECEIVEEX RIOReceiveEx;
    LPFN_RIOSEND RIOSend;
    LPFN_RIOSENDEX RIOSendEx;
    LPFN_RIOCLOSECOMPLETIONQUEUE RIOCloseCompletionQueue;
    LPFN_RIOCREATECOMPLETIONQUEUE RIOCreateCompletionQueue;
    LPFN_RIOCREATEREQUESTQUEUE RIOCreateRequestQueue;
    LPFN_RIODEQUEUECOMPLETION RIODequeueCompletion;
    LPFN_RIODEREGISTERBUFFER RIODeregisterBuffer;
    LPFN_RIONOTIFY RIONotify;
    LPFN_RIOREGISTERBUFFER RIORegisterBuffer;
    LPFN_RIORESIZECOMPLETIONQUEUE RIOResizeCompletionQueue;
    LPFN_RIORESIZEREQUESTQUEUE RIOResizeRequestQueue;
} RIO_EXTENSION_FUNCTION_TABLE, *PRIO_EXTENSION_FUNCTION_TABLE;

// Missing from MinGW's winsock2.h as well.
#ifndef SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER
#define SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER _WSAIORW(IOC_WS2, 36)
#endif

#define WSAID_MULTIPLE_RIO                                                                         \
    {                                                                                              \
        0x8509e081, 0x96dd, 0x4005, {                                                              \
            0xb1, 0x65, 0x9e, 0x2e, 0xe8, 0xc7, 0x9e, 0x3f                                         \
        }                                                                                          \
    }
