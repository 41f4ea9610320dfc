tinyx_unit_tests(unit_kconfig
  SOURCES unit/kconfig/test_engine.cpp unit/kconfig/test_config_text.cpp
  DEPENDS tinyx_kconfig)
