tinyx_unit_tests(unit_build
  SOURCES unit/build/test_file_pruning.cpp
  DEPENDS tinyx_build)
