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

# A library without a CMake package: its header and library, as an INTERFACE target.
function(lochat_require_library target header library debian_package)
  find_path(${target}_INCLUDE_DIR ${header})
  find_library(${target}_LIBRARY ${library})
  if(NOT ${target}_INCLUDE_DIR OR NOT ${target}_LIBRARY)
    message(FATAL_ERROR "${library} not found: install the Debian package '${debian_package}'")
  endif()
  add_library(${target} INTERFACE)
  target_include_directories(${target} SYSTEM INTERFACE ${${target}_INCLUDE_DIR})
  target_link_libraries(${target} INTERFACE ${${target}_LIBRARY})
endfunction()

lochat_require_library(lochat_readline readline/readline.h readline "libreadline-dev")
# argon2id for the server password's hash (server/password.hpp).
lochat_require_library(lochat_sodium sodium.h sodium "libsodium-dev")

if(LOCHAT_BUILD_TESTS)
  lochat_require(GTest "googletest libgtest-dev")
endif()
