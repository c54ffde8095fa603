# tests/unit/host.cmake - the embedding API end to end over a scripted
# transport (runtime, errors, retries, config errors, log, vars, stdlib).
# fake_transport.c is the scripted transport the end-to-end tests share.
kumo_unit_test(test_runtime ${CMAKE_CURRENT_LIST_DIR}/test_runtime.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)
add_test(NAME unit.runtime COMMAND test_runtime)
set_tests_properties(unit.runtime PROPERTIES TIMEOUT 120)

# The stdlib modules (kumo.sg, kumo.vpc) over the same fake transport.
include(${CMAKE_CURRENT_LIST_DIR}/stdlib.cmake)
