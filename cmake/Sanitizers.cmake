# LOCHAT_SANITIZER selects one instrumented build for every target: "address" (ASan+UBSan) or "thread" (TSan).
set(LOCHAT_SANITIZER "" CACHE STRING "Sanitizer build: empty, address or thread")
set_property(CACHE LOCHAT_SANITIZER PROPERTY STRINGS "" address thread)

if(LOCHAT_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(LOCHAT_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT LOCHAT_SANITIZER STREQUAL "")
  message(FATAL_ERROR "LOCHAT_SANITIZER must be empty, 'address' or 'thread', not '${LOCHAT_SANITIZER}'")
endif()
