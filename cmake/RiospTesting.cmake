# riosp_add_gtest(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>])
# One GoogleTest executable; every TEST in it becomes its own CTest test, so the CTest summary
# counts real test cases. Discovery runs at test time (works for cross builds under Wine too).
function(riosp_add_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main riosp_warnings)
  if(WIN32 AND CMAKE_CROSSCOMPILING_EMULATOR)
    # Under Wine through cmake/wine-run: the build tree's own prefix (created on first use, so
    # CI works on a fresh machine), WINEDEBUG=-all and a persistent wineserver. Set on the
    # emulator rather than the ENVIRONMENT property because test discovery runs it too.
    set_property(TARGET ${name} PROPERTY CROSSCOMPILING_EMULATOR
                 ${CMAKE_SOURCE_DIR}/cmake/wine-run ${CMAKE_BINARY_DIR}/wineprefix
                 ${CMAKE_CROSSCOMPILING_EMULATOR})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()
