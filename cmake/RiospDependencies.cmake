# Every dependency comes from a Debian package; each failure names the package to install
# (tools/install-deps installs them all).
function(riosp_require_package found debian_package what)
  if(NOT ${found})
    message(FATAL_ERROR "riosp needs ${what}: install the Debian package '${debian_package}' "
                        "(or run tools/install-deps as root).")
  endif()
endfunction()

# Header-only Debian packages (GSL, nlohmann-json). On MinGW each is found by path and only its
# own folder is exposed to the cross compiler (a link in the build tree), so that no other Linux
# header in /usr/include leaks in; on Linux their CMake packages are used.
function(riosp_header_only_for_mingw target header debian_package what)
  string(MAKE_C_IDENTIFIER "RIOSP_${debian_package}_DIR" var)
  find_path(${var} ${header} PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
  riosp_require_package(${var} ${debian_package} "${what}")
  get_filename_component(folder ${header} DIRECTORY)
  set(shim ${CMAKE_BINARY_DIR}/header-only/${debian_package})
  file(MAKE_DIRECTORY ${shim})
  file(CREATE_LINK ${${var}}/${folder} ${shim}/${folder} SYMBOLIC)
  add_library(${target} INTERFACE IMPORTED)
  target_include_directories(${target} SYSTEM INTERFACE ${shim})
endfunction()

if(WIN32)
  riosp_header_only_for_mingw(Microsoft.GSL::GSL gsl/gsl libmsgsl-dev "Microsoft GSL")
  riosp_header_only_for_mingw(nlohmann_json::nlohmann_json nlohmann/json.hpp nlohmann-json3-dev
                              "nlohmann-json >= 3.11")
  # CLI11 (the tools' command lines) is header-only too.
  riosp_header_only_for_mingw(CLI11::CLI11 CLI/CLI.hpp libcli11-dev "CLI11")
else()
  find_package(Microsoft.GSL CONFIG QUIET)
  riosp_require_package(Microsoft.GSL_FOUND libmsgsl-dev "Microsoft GSL")

  find_package(nlohmann_json 3.11 CONFIG QUIET)
  riosp_require_package(nlohmann_json_FOUND nlohmann-json3-dev "nlohmann-json >= 3.11")
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
