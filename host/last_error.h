// The calling thread's Winsock last error (WSAGetLastError / WSASetLastError).
#pragma once

namespace riosp::host {
void set_last_error(int error) noexcept;
[[nodiscard]] int last_error() noexcept;
} // namespace riosp::host
