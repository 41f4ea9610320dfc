tinyx_unit_tests(unit_pruner
  SOURCES unit/pruner/test_kconfig_domain.cpp unit/pruner/test_kernel_builder.cpp unit/pruner/test_kernel_store.cpp
          unit/pruner/test_code_map.cpp unit/pruner/test_trace.cpp
  DEPENDS tinyx_pruner)
