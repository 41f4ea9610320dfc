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

# One library per module, in the directory that calls this: include/<module>/*.hpp is its public
# interface (reachable as "<module>/header.hpp"), src/ its sources and private headers. Nothing
# else is on the include path (not the repository root): a module sees its own headers and the
# public headers of the modules it links, so including a header of any other module fails to
# compile. The layering in docs/ARCHITECTURE.md is a rule the build enforces.
#   tinyx_module(tinyx_kconfig SOURCES src/engine.cpp ... DEPENDS tinyx_core)
function(tinyx_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPENDS} PRIVATE tinyx_settings)
  # Unit tests may include the module's private headers (white-box), nothing else may.
  set_target_properties(${name} PROPERTIES TINYX_PRIVATE_INCLUDE ${CMAKE_CURRENT_SOURCE_DIR}/src)
endfunction()
