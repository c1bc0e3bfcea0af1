# Every dependency comes from a Debian package; a missing one stops configure naming that package.
macro(lochat_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR "${package} not found: install the Debian package '${debian_package}' "
                        "(or run scripts/install-deps.sh)")
  endif()
endmacro()

lochat_require(Threads "libc6-dev")
lochat_require(fmt "libfmt-dev")
lochat_require(spdlog "libspdlog-dev")
lochat_require(CLI11 "libcli11-dev")
lochat_require(OpenSSL "libssl-dev" 3.0)
lochat_require(Boost "libboost-dev" 1.74)  # header-only: Beast for the web client

find_path(LOCHAT_READLINE_INCLUDE_DIR readline/readline.h)
find_library(LOCHAT_READLINE_LIBRARY readline)
if(NOT LOCHAT_READLINE_INCLUDE_DIR OR NOT LOCHAT_READLINE_LIBRARY)
  message(FATAL_ERROR "GNU readline not found: install the Debian package 'libreadline-dev'")
endif()
add_library(lochat_readline INTERFACE)
target_include_directories(lochat_readline SYSTEM INTERFACE ${LOCHAT_READLINE_INCLUDE_DIR})
target_link_libraries(lochat_readline INTERFACE ${LOCHAT_READLINE_LIBRARY})

if(LOCHAT_BUILD_TESTS)
  lochat_require(GTest "googletest libgtest-dev")
endif()
