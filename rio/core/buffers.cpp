// Registered buffers: the process-wide registry behind RIO_BUFFERIDs and its C++ face. An id is a
// handle of a slot table (rio/slot_table.h); every request naming a registration pins it, so a
// region deregistered with requests in flight stays until the last of them is dequeued.
#include <rio/core/detail.h>
#include <rio/slot_table.h>

#include <gsl/gsl>

#include <cstdint>
#include <span>
#include <utility>

namespace riosp::rio {
namespace detail {
namespace {

// Lookups on the I/O path take no lock, and a stale or made-up id fails the generation check
// instead of reaching freed memory.
struct Registration : TableSlot {
    char* base = nullptr;
    ULONG length = 0;
};
using Registry = SlotTable<Registration, 4096, 256>;

Registry& registry() noexcept {
    static auto* r = new Registry; // never destroyed: ids may be released at exit
    return *r;
}

Registry::Handle handle_of(RIO_BUFFERID id) noexcept {
    return static_cast<Registry::Handle>(reinterpret_cast<std::uintptr_t>(id));
}

// No request names the registration any more and its id is dead: before the index can carry
// another region, no ring may keep this one pinned.
void free_registration(Registration& r) noexcept {
    backend_forget_buffer(r.slot_index());
    registry().recycle(r);
}

int add_registration(std::span<char> region, RIO_BUFFERID& out) noexcept {
    Registration* r = registry().acquire();
    if (r == nullptr)
        return wsa::enobufs;
    r->base = region.data();
    r->length = gsl::narrow<ULONG>(region.size());
    out = reinterpret_cast<RIO_BUFFERID>(static_cast<std::uintptr_t>(registry().publish(*r)));
    return 0;
}

int remove_registration(RIO_BUFFERID id) noexcept {
    bool idle = false;
    Registration* r = registry().retire(handle_of(id), idle);
    if (r == nullptr)
        return wsa::einval;
    if (idle)
        free_registration(*r);
    // else: deferred; the last release_buffer() frees it.
    return 0;
}

} // namespace

int acquire_buffer(const RIO_BUF& buf, BufferRef& out) noexcept {
    bool full = false;
    Registration* r = registry().pin(handle_of(buf.BufferId), full);
    if (r == nullptr)
        return full ? wsa::enobufs : wsa::einval;
    if (std::uint64_t{buf.Offset} + buf.Length > r->length) {
        release_buffer(r->slot_index());
        return wsa::einval;
    }
    out = BufferRef{r->base + buf.Offset, buf.Length, r->slot_index()};
    return 0;
}
void release_buffer(std::uint32_t index) noexcept {
    if (index == kNoBuffer)
        return;
    Registration& r = registry().slot(index);
    if (Registry::unpin(r))
        free_registration(r);
}
BufferRegion buffer_region(std::uint32_t index) noexcept {
    const Registration& r = registry().slot(index);
    return BufferRegion{r.base, r.length, Registry::generation(r)};
}

} // namespace detail

// ================================================================== buffers
Result<RIO_BUFFERID> register_buffer(std::span<char> region) noexcept {
    if (region.data() == nullptr)
        return Result<RIO_BUFFERID>::failure(wsa::efault);
    if (region.empty() || region.size() > 0xFFFFFFFFULL)
        return Result<RIO_BUFFERID>::failure(wsa::einval);
    RIO_BUFFERID id = RIO_INVALID_BUFFERID;
    if (int err = detail::add_registration(region, id); err != 0)
        return Result<RIO_BUFFERID>::failure(err);
    return id;
}

int deregister_buffer(RIO_BUFFERID id) noexcept {
    return detail::remove_registration(id);
}

std::size_t live_buffer_registrations() noexcept {
    return detail::registry().in_use();
}

Result<RegisteredBuffer> RegisteredBuffer::create(std::span<char> region) noexcept {
    auto id = register_buffer(region);
    if (!id)
        return Result<RegisteredBuffer>::failure(id.error());
    RegisteredBuffer b;
    b.id_ = id.value();
    b.region_ = region;
    return b;
}

RegisteredBuffer& RegisteredBuffer::operator=(RegisteredBuffer&& other) noexcept {
    if (this != &other) {
        if (id_ != RIO_INVALID_BUFFERID)
            (void)deregister_buffer(id_);
        id_ = std::exchange(other.id_, RIO_INVALID_BUFFERID);
        region_ = other.region_;
    }
    return *this;
}

RegisteredBuffer::~RegisteredBuffer() {
    if (id_ != RIO_INVALID_BUFFERID)
        (void)deregister_buffer(id_);
}

} // namespace riosp::rio
