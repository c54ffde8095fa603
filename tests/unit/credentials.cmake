# tests/unit/credentials.cmake - the credential chain (unit.credentials):
# chain order, AssumeRole, credential_process (real scripts in a temp dir),
# container and instance-metadata requests through a scripted transport,
# refresh windows with a settable clock, and the retry settings of config.c.

kumo_unit_test(kumo_test_credentials ${CMAKE_CURRENT_LIST_DIR}/test_credentials.c)
add_test(NAME unit.credentials COMMAND kumo_test_credentials)
set_tests_properties(unit.credentials PROPERTIES TIMEOUT 60)
