# tests/unit/sandbox.cmake - the offline EC2 (runtime/sandbox): requests signed
# by kumo's signer sent to kumo_sandbox_send (signature, key and clock checks),
# every action's happy path and error codes, the real-EC2 behaviour moto lacks,
# state files, and one end-to-end run of the typed bindings over the sandbox.
# One ctest per cmocka test (unit.sandbox.NAME); the program takes NAME.
kumo_unit_test(kumo_test_sandbox ${CMAKE_CURRENT_LIST_DIR}/test_sandbox.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)

set(KUMO_SANDBOX_TESTS
  signature_checks regions_are_separate default_vpc_and_default_group vpc_lifecycle
  create_security_group delete_security_group authorize_and_canonical_cidr rule_quota
  dry_run_changes_nothing revoke pagination tags state_round_trip
  state_missing_file_is_empty_world state_corrupt_files_untouched reload_if_changed
  end_to_end_typed_bindings)

foreach(name ${KUMO_SANDBOX_TESTS})
  add_test(NAME unit.sandbox.${name} COMMAND kumo_test_sandbox ${name})
  set_tests_properties(unit.sandbox.${name} PROPERTIES TIMEOUT 60)
endforeach()
