tinyx_unit_tests(unit_core
  SOURCES unit/core/test_process.cpp unit/core/test_fs.cpp unit/core/test_strings.cpp unit/core/test_json.cpp
          unit/core/test_result.cpp unit/core/test_log.cpp unit/core/test_arch.cpp unit/core/test_compression.cpp
  DEPENDS tinyx_core)
