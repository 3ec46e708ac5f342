# CMake toolchain for cross-compiling procsig's addon to win32-x64 with mingw-w64 (the -posix
# thread model, so std::thread/std::mutex work). Used by .ci/win32/build.sh; the sources come
# from the project's CMakeLists.txt (its WIN32 branch), so there is one source list.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# The same warning and hardening policy as the Linux build (CMakeLists.txt applies these only
# outside WIN32, because MSVC spells them differently). _WIN32_WINNT 0x0A00: Node 20 needs
# Windows 10 anyway.
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions -fstack-protector-strong -Wall -Wextra -Werror -D_WIN32_WINNT=0x0A00")
set(CMAKE_CXX_FLAGS_RELEASE_INIT "-O2 -DNDEBUG")
# -static: libstdc++, libgcc, libssp and winpthread are linked in, so procsig.node needs no
# mingw DLL next to it; it imports only from node.exe and Windows system DLLs.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++ -Wl,--no-insert-timestamp")
