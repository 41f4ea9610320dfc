tinyx_unit_tests(unit_packagers
  SOURCES unit/packagers/test_elf.cpp
  DEPENDS tinyx_packagers)
