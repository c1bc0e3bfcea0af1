# lochat_set_warnings(target): the project's warning set; LOCHAT_WERROR turns them into errors.
option(LOCHAT_WERROR "Treat compiler warnings as errors" OFF)

function(lochat_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
    -Wimplicit-fallthrough)
  if(LOCHAT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
