// The records of the datagram model test (provider_datagram_model_test.cpp): what the model
// knows of one socket, and the overlapped operations a step leaves pending.
#pragma once

#include "provider_fixture.h"

#include <array>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace riosp::test::datagram_model {

using Rng = std::mt19937_64;

constexpr int threads = 4;
constexpr int steps_per_thread = 8000;
constexpr int max_steps_per_socket = 60;
constexpr std::size_t max_datagram = 2000;
constexpr std::size_t recv_buffer = 2048; // holds any datagram here unless a step cuts it
constexpr int completion_wait_ms = 5000;  // what "must complete" waits at most

std::size_t random_size(Rng& rng) {
    if (std::uniform_int_distribution<int>(0, 19)(rng) == 0)
        return 0; // an empty datagram is a datagram too
    return std::uniform_int_distribution<std::size_t>(1, max_datagram)(rng);
}

struct PendingRecv {
    WSAOVERLAPPED ov{};
    std::array<char, recv_buffer> buf{};
    WSABUF wb{};
    sockaddr_in from{};
    int from_len = sizeof(sockaddr_in);
    DWORD flags = 0;
    std::size_t index = 0; // the peer datagram this receive claimed when it was posted
};

struct PendingSend {
    WSAOVERLAPPED ov{};
    std::string data;
    WSABUF wb{};
    std::size_t entry = 0; // its place in Model::sends
};

// What the model knows about one socket.
struct Model {
    bool closed = false;
    bool send_shut = false;
    bool recv_shut = false;
    bool connected = false;    // has the peer as its default peer
    bool non_blocking = false; // FIONBIO as last set
    // Our sends in call order with their outcome: accepted ones must reach the peer, in order.
    struct Send {
        std::string data;
        enum { accepted, pending, aborted } state;
    };
    std::vector<Send> sends;
    std::vector<std::size_t> peer_sent; // sizes of the peer's datagrams, in order
    std::size_t next_rx = 0;            // the first peer datagram no receive has claimed
};

} // namespace riosp::test::datagram_model
