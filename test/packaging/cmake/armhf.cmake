# armhf.cmake - a CMake toolchain file for a Raspberry Pi's 32-bit OS, as
# toolchains/armhf.mk builds the library: the netmodels found is the one
# installed under NM_SYSROOT (a DESTDIR), programs link statically so that
# qemu-arm runs them without a sysroot.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a+fp -mfloat-abi=hard -mthumb")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
if(NOT NM_SYSROOT)
    set(NM_SYSROOT "$ENV{NM_SYSROOT}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES NM_SYSROOT)
set(CMAKE_FIND_ROOT_PATH "${NM_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
