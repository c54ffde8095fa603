# tests/unit/retry.cmake - the retry policy: pure functions (classification,
# backoff, quota, adaptive rate limiter, HTTP dates, clock skew) and retries
# end to end over the scripted transport with a virtual clock.
kumo_unit_test(test_retry ${CMAKE_CURRENT_LIST_DIR}/test_retry.c)
add_test(NAME unit.retry COMMAND test_retry)

kumo_unit_test(test_retry_runtime ${CMAKE_CURRENT_LIST_DIR}/test_retry_runtime.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)
add_test(NAME unit.retry.runtime COMMAND test_retry_runtime)
set_tests_properties(unit.retry unit.retry.runtime PROPERTIES TIMEOUT 60)
