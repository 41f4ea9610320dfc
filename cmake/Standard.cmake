# Flags for first-party code only (third-party headers are included as SYSTEM by
# their imported targets, so their warnings never fail our build).
add_library(tinyx_settings INTERFACE)
target_compile_features(tinyx_settings INTERFACE cxx_std_20)
target_compile_options(tinyx_settings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor>
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
if(TINYX_DEV)
  target_compile_options(tinyx_settings INTERFACE -Werror)
endif()
target_compile_definitions(tinyx_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
if(TINYX_SANITIZE)
  target_compile_options(tinyx_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(tinyx_settings INTERFACE -fsanitize=address,undefined)
endif()

# One library per module, with its headers reachable as "module/header.hpp" from the repository root.
function(tinyx_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS} PRIVATE tinyx_settings)
endfunction()
