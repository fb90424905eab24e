// What the half-close spec suites share (half_close_test.cpp for streams,
// half_close_datagram_test.cpp for datagrams): short names and the set-up of a machine.
#pragma once

#include <riosp/spi.h>

#include "provider/half_close.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace riosp::provider::spec {

using A = HalfCloseAction;
using E = HalfCloseEvent;

// Runs events that must succeed.
inline void run(HalfClose& m, std::initializer_list<E> events) {
    for (E e : events) {
        const HalfCloseResult r = m.apply(e);
        ASSERT_EQ(r.error, 0) << "setup event " << to_string(e);
    }
}

} // namespace riosp::provider::spec
