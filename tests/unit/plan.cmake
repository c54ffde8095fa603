# tests/unit/plan.cmake - plan, dry-run and destroy runs (runtime/aws/intercept.c,
# bindings/plan.c, stdlib/kumo/run.lua) over the scripted fake transport:
# reads only in a plan, the plan formatter, DryRun=true and the allowed /
# denied report, DependencyViolation naming network interfaces, refusal of
# untagged groups. One ctest per cmocka test (unit.plan.NAME).

kumo_unit_test(kumo_test_plan ${CMAKE_CURRENT_LIST_DIR}/test_plan.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)

set(KUMO_PLAN_TESTS
  plan_sends_only_reads plan_formatter dry_run_collects_allowed_and_denied
  dry_run_leaves_the_callers_table destroy_dependency_violation_names_interfaces
  destroy_refuses_untagged)

foreach(name ${KUMO_PLAN_TESTS})
  add_test(NAME unit.plan.${name} COMMAND kumo_test_plan ${name})
  set_tests_properties(unit.plan.${name} PROPERTIES TIMEOUT 60)
endforeach()
