tinyx_unit_tests(unit_pruner
  SOURCES unit/pruner/test_engine.cpp unit/pruner/test_kconfig_domain.cpp unit/pruner/test_evaluator.cpp
          unit/pruner/test_kernel_builder.cpp unit/pruner/test_set_domain.cpp unit/pruner/test_code_map.cpp unit/pruner/test_prior_hint.cpp
  DEPENDS tinyx_pruner)
