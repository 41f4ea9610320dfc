tinyx_unit_tests(unit_harness
  SOURCES unit/harness/test_guest_init.cpp
  DEPENDS tinyx_harness)
