// Per-thread APC queues (see apc.h).
#include "host/apc.h"

#include "host/os.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include <gsl/gsl>

namespace riosp::host {

namespace {

// Marks a WSATHREADID the host issued, so a zeroed or foreign structure is rejected early.
constexpr DWORD_PTR thread_id_tag = 0x52494f5354485244; // "RIOSTHRD"

struct Apc {
    LPWSAUSERAPC routine;
    DWORD_PTR context;
};

struct ThreadRecord {
    std::mutex lock; // guards everything below
    std::uint32_t generation = 0;
    bool alive = false;
    // Its storage outlives each batch (run_current_thread_apcs hands it back): queueing
    // allocates only when more APCs wait than ever before on this record.
    std::vector<Apc> queue;
    int wake_fd = -1; // created once, reused by later threads
};

// Records are allocated on first need and never freed, so an id can always be checked
// against its record's generation without a use-after-free.
struct Arena {
    std::array<std::atomic<ThreadRecord*>, max_apc_threads> records{};
    std::mutex lock; // guards free_list and used
    std::vector<std::uint32_t> free_list;
    std::uint32_t used = 0;
};

Arena& arena() noexcept {
    static Arena* a = new Arena(); // never destroyed: threads may exit after static teardown
    return *a;
}

HANDLE encode(std::uint32_t index, std::uint32_t generation) noexcept {
    return reinterpret_cast<HANDLE>((std::uintptr_t{generation} << 16) | index);
}

ThreadRecord* decode(const WSATHREADID& id, std::uint32_t& generation) noexcept {
    if (id.Reserved != thread_id_tag)
        return nullptr;
    const auto value = reinterpret_cast<std::uintptr_t>(id.ThreadHandle);
    const auto index = static_cast<std::uint32_t>(value & 0xffff);
    generation = static_cast<std::uint32_t>(value >> 16);
    if (index >= max_apc_threads)
        return nullptr;
    return arena().records[index].load(std::memory_order_acquire);
}

std::uint32_t bind_record(std::uint32_t& generation) noexcept {
    Arena& a = arena();
    std::uint32_t index = UINT32_MAX;
    {
        std::lock_guard guard(a.lock);
        if (!a.free_list.empty()) {
            index = a.free_list.back();
            a.free_list.pop_back();
        } else if (a.used < max_apc_threads) {
            index = a.used++;
            a.records[index].store(new ThreadRecord(), std::memory_order_release);
        } else {
            return UINT32_MAX;
        }
    }
    ThreadRecord* r = a.records[index].load(std::memory_order_acquire);
    std::lock_guard guard(r->lock);
    if (r->wake_fd < 0) {
        const int fd = os::eventfd_create();
        if (fd < 0) {
            std::lock_guard arena_guard(a.lock);
            a.free_list.push_back(index);
            return UINT32_MAX;
        }
        r->wake_fd = fd;
    }
    ++r->generation;
    r->alive = true;
    generation = r->generation;
    return index;
}

void unbind_record(std::uint32_t index) noexcept {
    Arena& a = arena();
    ThreadRecord* r = a.records[index].load(std::memory_order_acquire);
    std::vector<Apc> dropped;
    {
        std::lock_guard guard(r->lock);
        // APCs still queued when the thread exits never run (as on Windows).
        r->alive = false;
        dropped.swap(r->queue);
        (void)os::eventfd_drain(r->wake_fd);
    }
    std::lock_guard guard(a.lock);
    a.free_list.push_back(index);
}

// The calling thread's binding; its destructor runs at thread exit.
struct Binding {
    std::uint32_t index = UINT32_MAX;
    std::uint32_t generation = 0; // cached: only bind_record changes it, on this thread
    Binding() = default;
    Binding(const Binding&) = delete;
    Binding& operator=(const Binding&) = delete;
    ~Binding() {
        if (index != UINT32_MAX)
            unbind_record(index);
    }
    ThreadRecord* record() noexcept {
        if (index == UINT32_MAX)
            index = bind_record(generation);
        return index == UINT32_MAX ? nullptr
                                   : arena().records[index].load(std::memory_order_acquire);
    }
};

thread_local Binding this_thread;

} // namespace

bool open_current_thread(WSATHREADID& id, int& error) noexcept {
    ThreadRecord* r = this_thread.record();
    if (r == nullptr) {
        error = WSA_NOT_ENOUGH_MEMORY;
        return false;
    }
    // No lock: every overlapped call asks for its thread id, and the generation of our own
    // record changes only when this thread binds it.
    id.ThreadHandle = encode(this_thread.index, this_thread.generation);
    id.Reserved = thread_id_tag;
    return true;
}

bool close_thread(const WSATHREADID& id, int& error) noexcept {
    std::uint32_t generation = 0;
    if (decode(id, generation) == nullptr) {
        error = WSAEINVAL;
        return false;
    }
    return true;
}

bool queue_apc(const WSATHREADID& id, LPWSAUSERAPC routine, DWORD_PTR context,
               int& error) noexcept {
    if (routine == nullptr) {
        error = WSAEFAULT;
        return false;
    }
    std::uint32_t generation = 0;
    ThreadRecord* r = decode(id, generation);
    if (r == nullptr) {
        error = WSAEINVAL;
        return false;
    }
    std::lock_guard guard(r->lock);
    if (!r->alive || r->generation != generation) {
        error = WSAEINVAL;
        return false;
    }
    try {
        r->queue.push_back(Apc{routine, context});
    } catch (...) { // no exception crosses the SPI
        error = WSA_NOT_ENOUGH_MEMORY;
        return false;
    }
    // Signalled under the lock so that a drain in run_current_thread_apcs never loses it.
    (void)os::eventfd_signal(r->wake_fd);
    return true;
}

int current_thread_apc_fd() noexcept {
    ThreadRecord* r = this_thread.record();
    if (r == nullptr)
        return -1;
    std::lock_guard guard(r->lock);
    return r->wake_fd;
}

std::size_t run_current_thread_apcs() noexcept {
    if (this_thread.index == UINT32_MAX)
        return 0; // never bound: nobody can have queued to this thread
    ThreadRecord* r = arena().records[this_thread.index].load(std::memory_order_acquire);
    std::vector<Apc> batch;
    {
        std::lock_guard guard(r->lock);
        if (r->queue.empty())
            return 0;
        batch.swap(r->queue);
        (void)os::eventfd_drain(r->wake_fd);
    }
    // Outside the lock: an APC may queue another APC (it runs in the next alertable wait).
    for (const Apc& apc : batch)
        apc.routine(apc.context);
    const std::size_t ran = batch.size();
    // The batch's storage goes back to the queue, with whatever the APCs queued meanwhile.
    batch.clear();
    std::lock_guard guard(r->lock);
    if (batch.capacity() > r->queue.capacity()) {
        batch.insert(batch.end(), r->queue.begin(), r->queue.end());
        r->queue.swap(batch);
    }
    return ran;
}

} // namespace riosp::host
