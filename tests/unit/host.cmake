# tests/unit/host.cmake - the embedding API end to end over a scripted
# transport (runtime, errors, retries, config errors, log, vars, stdlib).
kumo_unit_test(test_runtime unit/test_runtime.c)
add_test(NAME unit.runtime COMMAND test_runtime)
set_tests_properties(unit.runtime PROPERTIES TIMEOUT 120)
