tinyx_unit_tests(unit_packagers
  SOURCES unit/packagers/test_elf.cpp unit/packagers/test_packages.cpp unit/packagers/test_image.cpp
          unit/packagers/test_source_root.cpp unit/packagers/test_container_image.cpp
  DEPENDS tinyx_packagers)
