tinyx_unit_tests(unit_harness
  SOURCES unit/harness/test_guest_init.cpp unit/harness/test_markers.cpp unit/harness/test_qemu_args.cpp
          unit/harness/test_boot.cpp unit/harness/test_accel.cpp unit/harness/test_platform.cpp
  DEPENDS tinyx_harness)
