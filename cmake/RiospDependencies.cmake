# Every dependency comes from a Debian package; each failure names the package to install
# (tools/install-deps installs them all).
function(riosp_require_package found debian_package what)
  if(NOT ${found})
    message(FATAL_ERROR "riosp needs ${what}: install the Debian package '${debian_package}' "
                        "(or run tools/install-deps as root).")
  endif()
endfunction()

# GSL is header-only; on MinGW it is found by path so that no Linux include dir leaks in.
if(WIN32)
  find_path(RIOSP_GSL_DIR gsl/gsl PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
  riosp_require_package(RIOSP_GSL_DIR libmsgsl-dev "Microsoft GSL")
  # Expose only gsl/ (not all of /usr/include) to the cross compiler.
  set(gsl_shim ${CMAKE_BINARY_DIR}/gsl-include)
  file(MAKE_DIRECTORY ${gsl_shim})
  file(CREATE_LINK ${RIOSP_GSL_DIR}/gsl ${gsl_shim}/gsl SYMBOLIC)
  add_library(Microsoft.GSL::GSL INTERFACE IMPORTED)
  target_include_directories(Microsoft.GSL::GSL SYSTEM INTERFACE ${gsl_shim})
  # CLI11 (the tools' command lines) is header-only too: only CLI/ is exposed, the same way.
  find_path(RIOSP_CLI11_DIR CLI/CLI.hpp PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
  riosp_require_package(RIOSP_CLI11_DIR libcli11-dev "CLI11")
  set(cli11_shim ${CMAKE_BINARY_DIR}/cli11-include)
  file(MAKE_DIRECTORY ${cli11_shim})
  file(CREATE_LINK ${RIOSP_CLI11_DIR}/CLI ${cli11_shim}/CLI SYMBOLIC)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 SYSTEM INTERFACE ${cli11_shim})
else()
  find_package(Microsoft.GSL CONFIG QUIET)
  riosp_require_package(Microsoft.GSL_FOUND libmsgsl-dev "Microsoft GSL")

  find_package(CLI11 CONFIG QUIET)
  riosp_require_package(CLI11_FOUND libcli11-dev "CLI11")

  find_package(PkgConfig QUIET)
  riosp_require_package(PKG_CONFIG_FOUND pkg-config "pkg-config")
  pkg_check_modules(LIBURING QUIET IMPORTED_TARGET liburing>=2.3)
  riosp_require_package(LIBURING_FOUND liburing-dev "liburing >= 2.3")

  find_package(mimalloc CONFIG QUIET)
  riosp_require_package(mimalloc_FOUND libmimalloc-dev "mimalloc")

  find_package(Threads REQUIRED)
endif()

if(RIOSP_BUILD_TESTS)
  # GoogleTest is built from Debian's sources (package googletest) with the same flags as
  # riosp itself, so sanitizer builds instrument it and MinGW builds get a Windows GoogleTest.
  set(RIOSP_GOOGLETEST_SRC /usr/src/googletest CACHE PATH "GoogleTest sources")
  if(NOT EXISTS ${RIOSP_GOOGLETEST_SRC}/CMakeLists.txt)
    message(FATAL_ERROR "riosp needs GoogleTest sources in ${RIOSP_GOOGLETEST_SRC}: install "
                        "the Debian package 'googletest' (or run tools/install-deps as root).")
  endif()
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(gtest_force_shared_crt ON CACHE BOOL "" FORCE)
  add_subdirectory(${RIOSP_GOOGLETEST_SRC} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  include(GoogleTest)
endif()

if(RIOSP_BUILD_BENCH AND NOT WIN32)
  find_package(benchmark CONFIG QUIET)
  riosp_require_package(benchmark_FOUND libbenchmark-dev "Google Benchmark")
endif()
