# riosp's compatibility rule, in one place: while the major version is 0, every minor release
# may change the ABI and the API (0.1.x and 0.2.x are incompatible; patch releases within one
# minor version are compatible); from 1.0 on, releases with the same major version are
# compatible. The sonames (libriosp_ws.so.<RIOSP_SOVERSION>, libriosp_provider.so.<...>) and the
# CMake package's version file (cmake/RiospInstall.cmake) both follow it.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(RIOSP_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(RIOSP_COMPATIBILITY SameMinorVersion)
else()
  set(RIOSP_SOVERSION ${PROJECT_VERSION_MAJOR})
  set(RIOSP_COMPATIBILITY SameMajorVersion)
endif()
