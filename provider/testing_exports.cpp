// Test-only exports, of riosp_provider_testing alone (the provider built for the race tests,
// tests/provider/provider_race_test.cpp): the module keeps its static libraries' symbols
// private, so a test process reaches the module's own copy of rio's hooks only through these.
#include <rio/rio_testing.h>

#include <riosp/spi.h>

// rio::testing::set_table_hook of the module's copy of rio (rio/rio_testing.h).
extern "C" RIOSP_EXPORT void riospTestingSetRioTableHook(riosp::rio::testing::TableHook hook,
                                                         void* arg) {
    riosp::rio::testing::set_table_hook(hook, arg);
}
