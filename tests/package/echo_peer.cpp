// The consumer test's other end (consumer-test): a plain-socket TCP echo server, no riosp code
// in it. Prints its port, accepts one connection, sends back every byte until the client's
// FIN, then closes (its own FIN ends the client's receive loop). Exit 0 when it echoed.
#include "support/bsd_peer.h"

#include <cstdio>
#include <exception>

int main() {
    try {
        const riosp::bsd::Listener listener(1);
        std::printf("%u\n", static_cast<unsigned>(listener.port()));
        std::fflush(stdout);
        const int fd = listener.accept_one(60000);
        if (fd < 0) {
            std::fprintf(stderr, "echo_peer: accept failed (%d)\n", -fd);
            return 1;
        }
        char buffer[4096];
        for (;;) {
            const long n = riosp::bsd::recv_some(fd, buffer, sizeof buffer);
            if (n < 0) {
                std::fprintf(stderr, "echo_peer: recv failed (%ld)\n", -n);
                return 1;
            }
            if (n == 0)
                break;
            if (const int rc = riosp::bsd::send_all(fd, buffer, static_cast<std::size_t>(n));
                rc != 0) {
                std::fprintf(stderr, "echo_peer: send failed (%d)\n", rc);
                return 1;
            }
        }
        return riosp::bsd::close_socket(fd) == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "echo_peer: %s\n", e.what());
        return 1;
    }
}
