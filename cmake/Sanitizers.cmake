# LOCHAT_SANITIZER selects one instrumented build for every target: "address" (ASan+UBSan) or "thread" (TSan).
set(LOCHAT_SANITIZER "" CACHE STRING "Sanitizer build: empty, address or thread")
set_property(CACHE LOCHAT_SANITIZER PROPERTY STRINGS "" address thread)

if(NOT LOCHAT_SANITIZER MATCHES "^(|address|thread)$")
  message(FATAL_ERROR "LOCHAT_SANITIZER must be empty, 'address' or 'thread', not '${LOCHAT_SANITIZER}'")
endif()

if(LOCHAT_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(LOCHAT_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# Lets a test skip what an instrumented build cannot do (e.g. run under valgrind).
if(NOT LOCHAT_SANITIZER STREQUAL "")
  add_compile_definitions(LOCHAT_SANITIZED_BUILD)
endif()
