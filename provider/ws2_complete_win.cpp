// Windows: WPUCompleteOverlappedRequest is exported by ws2_32.dll (it is not in the upcall
// table), resolved once from the ws2_32 in this process. When the provider is loaded by riosp's
// host instead (the tests), ws2_32 does not know the handles and refuses them; Wine's export is
// a stub. completion.cpp then notifies the application itself.
#include "completion.h"

#include <windows.h>

namespace riosp::provider {

Ws2CompleteFn resolve_ws2_complete() noexcept {
    const HMODULE ws2 = GetModuleHandleW(L"ws2_32.dll");
    if (ws2 == nullptr)
        return nullptr;
    return reinterpret_cast<Ws2CompleteFn>(
        reinterpret_cast<void*>(GetProcAddress(ws2, "WPUCompleteOverlappedRequest")));
}

} // namespace riosp::provider
