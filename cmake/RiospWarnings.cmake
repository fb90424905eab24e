# Warnings are errors in every riosp target (GCC and MinGW-w64 GCC alike). Applied per target
# through riosp_warnings so that third-party sources built in-tree (GoogleTest) keep their own.
add_library(riosp_warnings INTERFACE)
target_compile_options(riosp_warnings INTERFACE -Wall -Wextra -Werror -Wshadow
                                                -Wnon-virtual-dtor -Wno-missing-field-initializers)
