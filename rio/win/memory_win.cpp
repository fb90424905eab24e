// rio/net.h's look at the application's memory on Windows: VirtualQuery over the regions the
// range spans (usually one), each committed and neither PAGE_NOACCESS nor PAGE_GUARD, with a
// protection that allows the access. One system call per region, no structured exception
// handling (which MinGW's C++ does not offer).
#include <rio/net.h>

#include <windows.h>

#include <cstdint>

namespace riosp::rio::net {
namespace {

constexpr DWORD readable_protections = PAGE_READONLY | PAGE_READWRITE | PAGE_WRITECOPY |
                                       PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE |
                                       PAGE_EXECUTE_WRITECOPY;
constexpr DWORD writable_protections =
    PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY;

bool accessible(const void* data, std::size_t size, DWORD allowed) noexcept {
    if (size == 0)
        return true;
    auto at = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t end = at + size;
    if (end < at)
        return false; // past the end of the address space
    while (at < end) {
        MEMORY_BASIC_INFORMATION region{};
        if (VirtualQuery(reinterpret_cast<const void*>(at), &region, sizeof region) == 0)
            return false;
        if (region.State != MEM_COMMIT || (region.Protect & (PAGE_NOACCESS | PAGE_GUARD)) != 0 ||
            (region.Protect & allowed) == 0)
            return false;
        at = reinterpret_cast<std::uintptr_t>(region.BaseAddress) + region.RegionSize;
    }
    return true;
}

} // namespace

bool can_read(const void* data, std::size_t size) noexcept {
    return accessible(data, size, readable_protections);
}

bool can_write(void* data, std::size_t size) noexcept {
    return accessible(data, size, writable_protections);
}

} // namespace riosp::rio::net
