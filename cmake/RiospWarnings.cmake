# Warnings in every riosp target (GCC and MinGW-w64 GCC alike), applied per target through
# riosp_warnings so that third-party sources built in-tree (GoogleTest) keep their own. They are
# errors where riosp is developed and checked (every preset turns RIOSP_WARNINGS_AS_ERRORS on,
# and so CI), not in a user's or packager's plain build, whose compiler may know warnings this
# project has not met yet.
option(RIOSP_WARNINGS_AS_ERRORS "Treat compiler warnings in riosp's targets as errors" OFF)
add_library(riosp_warnings INTERFACE)
target_compile_options(riosp_warnings INTERFACE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
                                                -Wno-missing-field-initializers)
if(RIOSP_WARNINGS_AS_ERRORS)
  target_compile_options(riosp_warnings INTERFACE -Werror)
endif()
