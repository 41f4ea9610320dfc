tinyx_unit_tests(unit_pipeline
  SOURCES unit/pipeline/test_file_pruning.cpp unit/pipeline/test_passes.cpp
  DEPENDS tinyx_pipeline)
