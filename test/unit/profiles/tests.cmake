tinyx_unit_tests(unit_profiles
  SOURCES unit/profiles/test_profile.cpp
  DEPENDS tinyx_profiles)
