# `cpack` in a build tree: on Linux `cpack -G DEB` makes the two Debian packages of the install
# components (cmake/RiospInstall.cmake), on Windows (the MinGW build) `cpack -G ZIP` makes one
# ZIP. Files land in the build tree; docs/install.md says how to install them.
set(CPACK_PACKAGE_NAME riosp)
set(CPACK_PACKAGE_VENDOR "the riosp authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Packages carry stripped binaries (the release build keeps its debug information).
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                                GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

if(WIN32)
  # riosp-<version>-windows-x64.zip, one folder holding the DLL, both tools, README and docs.
  set(CPACK_GENERATOR ZIP)
  set(CPACK_PACKAGE_FILE_NAME riosp-${PROJECT_VERSION}-windows-x64)
  include(CPack)
  return()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME riosp)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME riosp-dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # riosp_<version>_<arch>.deb, riosp-dev_...
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION}) # a native package: no Debian revision
set(RIOSP_DEB_MAINTAINER "riosp maintainers <riosp-maintainers@example.org>"
    CACHE STRING "The Maintainer field of the Debian packages")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${RIOSP_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION net)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Dependencies: dpkg-shlibdeps computes the libraries' packages (libc6, libstdc++6, liburing2,
# libmimalloc2.0, libbenchmark1debian...) from the binaries; only what it cannot see is written
# here: the Python tools' interpreter and what they use when asked.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "python3")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "python3-matplotlib")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "libbenchmark-tools, python3-scipy")
# riosp-dev needs riosp of exactly its version (the .so links point into it).
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS runtime)
# The shlibs file (and the ldconfig trigger) for the two shared libraries, so that packages
# built against them depend on riosp (>= this version).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# dpkg's ldconfig trigger (Debian policy 8.1.1); CPack also writes postinst/postrm scripts that
# call ldconfig, which the trigger makes redundant but harmless.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/cmake/debian/triggers)

# The first line is the synopsis (CPACK_PACKAGE_DESCRIPTION_SUMMARY stays unset: CPack would put
# it above both).
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "Winsock base service provider over Registered I/O rings
riosp is a Winsock 2 base service provider whose sockets are backed by
Registered I/O rings (registered buffers, request and completion queues),
with a half-close state machine per socket and allocation-free disconnect
paths. On Linux the rings run over io_uring (epoll as fallback).

This package holds the provider (libriosp_provider.so), the host library
that gives Linux applications the Winsock 2 API over it (libriosp_ws.so),
the riosp-load workload and riosp-bench benchmarks, and the riosp-plot,
riosp-perf-gate and riosp-bench-ratios tools.")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "Winsock base service provider over Registered I/O rings - development files
riosp is a Winsock 2 base service provider whose sockets are backed by
Registered I/O rings. This package holds what a program needs to be built
against riosp's Winsock 2 API (riosp::ws): the headers, the CMake package
(find_package(riosp)) and the pkg-config file (riosp.pc).")

# The files every Debian package carries in /usr/share/doc/<package>: the copyright statement
# and a changelog (gzip -9n, as Debian's tools write it). Only the packages get them: they are
# excluded from a plain `cmake --install`.
string(TIMESTAMP RIOSP_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/changelog.in
               ${PROJECT_BINARY_DIR}/package/debian/changelog @ONLY)
find_program(RIOSP_GZIP gzip REQUIRED)
execute_process(COMMAND ${RIOSP_GZIP} -9nf ${PROJECT_BINARY_DIR}/package/debian/changelog
                COMMAND_ERROR_IS_FATAL ANY)
foreach(component runtime development)
  string(TOUPPER ${component} upper)
  set(doc share/doc/${CPACK_DEBIAN_${upper}_PACKAGE_NAME})
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/copyright
                ${PROJECT_BINARY_DIR}/package/debian/changelog.gz
          DESTINATION ${doc} COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

include(CPack)
