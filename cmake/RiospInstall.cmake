# What `cmake --install <build> [--prefix P]` puts where (GNUInstallDirs layout), in two
# components, which are the two Debian packages (cmake/RiospPackaging.cmake):
#   runtime      (riosp)      libriosp_ws.so.<soversion> (the riosp::ws Winsock API),
#                             libriosp_provider.so.<soversion>, riosp-load, riosp-bench, the
#                             Python tools (libexec/riosp, linked from bin as riosp-*), the docs
#   development  (riosp-dev)  the headers, the libraries' .so links, the CMake package
#                             (find_package(riosp)), riosp.pc (pkg-config)
# Nothing of the test tree. Every installed path is relative to the prefix (the CMake package,
# riosp.pc and the host's search for the provider alike), so an installation works wherever it is
# installed or moved. Windows (the ZIP): riosp_provider.dll, riosp-install.exe, riosp-load.exe
# side by side (the host and ws2_32 find the DLL beside the executable), README and docs.
# docs/install.md is the user's side of all this.

if(WIN32)
  install(FILES $<TARGET_FILE:riosp_provider> DESTINATION . COMPONENT runtime)
  install(TARGETS riosp-install riosp-load RUNTIME DESTINATION . COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION . COMPONENT runtime)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION docs COMPONENT runtime)
  return()
endif()

# ---- libraries: riosp::ws, riosp::provider and the headers they share (riosp::abi) ----------
set_target_properties(riosp_ws PROPERTIES EXPORT_NAME ws)
set_target_properties(riosp_provider PROPERTIES EXPORT_NAME provider)
set_target_properties(riosp_abi PROPERTIES EXPORT_NAME abi)
install(
  TARGETS riosp_ws riosp_provider riosp_abi
  EXPORT riospTargets
  # Shared libraries are not programs (Debian policy 8.1): read-only, no execute bit.
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
          COMPONENT runtime
          NAMELINK_COMPONENT development)
# <riosp/ws.h> and the SPI headers it includes; the Windows-layout system headers (winsock2.h,
# ws2spi.h...) in their own folder, which the targets and riosp.pc put on the include path.
install(FILES ${PROJECT_SOURCE_DIR}/host/include/riosp/ws.h ${PROJECT_SOURCE_DIR}/abi/riosp/spi.h
              ${PROJECT_SOURCE_DIR}/abi/riosp/rio_types.h ${PROJECT_SOURCE_DIR}/abi/riosp/wsa_codes.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/riosp COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/abi/linux/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/riosp/linux
        COMPONENT development FILES_MATCHING PATTERN "*.h")

# ---- the CMake package: find_package(riosp 0.1 CONFIG) --------------------------------------
include(CMakePackageConfigHelpers)
set(riosp_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/riosp)
install(EXPORT riospTargets NAMESPACE riosp:: DESTINATION ${riosp_cmake_dir}
        COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/riospConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/package/riospConfig.cmake
                              INSTALL_DESTINATION ${riosp_cmake_dir})
# The compatibility rule of cmake/RiospVersion.cmake (SameMinorVersion while 0.x).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/riospConfigVersion.cmake
                                 COMPATIBILITY ${RIOSP_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/package/riospConfig.cmake
              ${PROJECT_BINARY_DIR}/package/riospConfigVersion.cmake
        DESTINATION ${riosp_cmake_dir} COMPONENT development)

# ---- pkg-config: riosp.pc, its prefix found from its own folder -----------------------------
file(RELATIVE_PATH RIOSP_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" RIOSP_PC_TO_PREFIX "${RIOSP_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/riosp.pc.in ${PROJECT_BINARY_DIR}/package/riosp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/riosp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT development)

# ---- tools ----------------------------------------------------------------------------------
# By target, so the tools' own source lists may change freely.
install(TARGETS riosp-load RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
if(TARGET riosp-bench)
  install(TARGETS riosp-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()
# The Python tools find their plotting/ package beside their real path, so they stay together
# in libexec/riosp; bin gets riosp-prefixed links (bare "plot" would be a poor name on PATH).
set(riosp_libexec ${CMAKE_INSTALL_LIBEXECDIR}/riosp)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/perf-gate ${PROJECT_SOURCE_DIR}/tools/bench-ratios
                 ${PROJECT_SOURCE_DIR}/tools/plot
        DESTINATION ${riosp_libexec} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/tools/plotting DESTINATION ${riosp_libexec}
        COMPONENT runtime FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
file(RELATIVE_PATH riosp_bin_to_libexec ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_FULL_LIBEXECDIR}/riosp)
foreach(tool perf-gate bench-ratios plot)
  set(link ${PROJECT_BINARY_DIR}/package/bin/riosp-${tool})
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/package/bin)
  file(CREATE_LINK ${riosp_bin_to_libexec}/${tool} ${link} SYMBOLIC)
  install(FILES ${link} DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endforeach()

# ---- documentation: the README and docs/ in their source layout, so the README's links work --
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        COMPONENT runtime)
