# tests/unit/stdlib.cmake - the stdlib modules kumo.sg (sg.ensure) and
# kumo.vpc (vpc.find) driven from Lua over the shared scripted transport
# (fake_transport.c): InvalidGroup.NotFound retries after a create, races
# (InvalidGroup.Duplicate, InvalidPermission.Duplicate), canonical rule
# comparison, tag and description drift, argument errors, vpc.find.
# One ctest per cmocka test (unit.sg_ensure.NAME); the program takes the
# test name as its argument. Included from host.cmake.

kumo_unit_test(kumo_test_sg_ensure ${CMAKE_CURRENT_LIST_DIR}/test_sg_ensure.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)

set(KUMO_SG_ENSURE_TESTS
  not_found_after_create_is_retried not_found_after_create_gives_up
  not_found_on_existing_group_is_not_retried group_duplicate_looks_again
  group_duplicate_but_not_found_again permission_duplicate_converged
  permission_duplicate_adds_the_rest canonical_comparison missing_tag_is_set
  other_description_is_a_warning vpc_find_none vpc_find_two vpc_find_one
  invalid.not_a_table invalid.unknown_field invalid.missing_vpc_id invalid.field_type
  invalid.rule_port invalid.rule_field invalid.duplicate_rule invalid.rules_not_list
  invalid.tags invalid.vpc_unknown_field invalid.vpc_missing_name)

foreach(name ${KUMO_SG_ENSURE_TESTS})
  add_test(NAME unit.sg_ensure.${name} COMMAND kumo_test_sg_ensure ${name})
  set_tests_properties(unit.sg_ensure.${name} PROPERTIES TIMEOUT 60)
endforeach()
