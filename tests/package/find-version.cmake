# cmake -DCMAKE_PREFIX_PATH=P -DWANT=<version> -P find-version.cmake: prints riosp_FOUND=1 when
# find_package(riosp <version>) accepts the installation in P, riosp_FOUND=0 when its version
# file refuses it (consumer-test). Only refusals can be checked in script mode: an accepted
# package goes on to create its imported targets, which a script cannot.
find_package(riosp ${WANT} CONFIG QUIET NO_DEFAULT_PATH PATHS ${CMAKE_PREFIX_PATH})
if(riosp_FOUND)
  message("riosp_FOUND=1")
else()
  message("riosp_FOUND=0 (considered: ${riosp_CONSIDERED_VERSIONS})")
endif()
