tinyx_unit_tests(unit_kconfig
  SOURCES unit/kconfig/test_engine.cpp
  DEPENDS tinyx_kconfig)
