tinyx_unit_tests(unit_minimize
  SOURCES unit/minimize/test_engine.cpp unit/minimize/test_evaluator.cpp unit/minimize/test_set_domain.cpp
          unit/minimize/test_prior_hint.cpp unit/minimize/test_journal.cpp
  DEPENDS tinyx_minimize)
