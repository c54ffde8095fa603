# tests/unit/embedding.cmake - the embedding API as a host uses it: memory cap,
# time limit, library allow-list, host functions and modules, JSON input,
# cancelling from another thread, four runtimes in four threads against their
# own sandboxes. One ctest per cmocka test (unit.embedding.NAME); the program
# takes the test name as its argument.
find_package(Threads REQUIRED)
kumo_unit_test(kumo_test_embedding ${CMAKE_CURRENT_LIST_DIR}/test_embedding.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)
target_link_libraries(kumo_test_embedding PRIVATE Threads::Threads)

set(KUMO_EMBEDDING_TESTS
  memory_cap memory_cap_too_small_for_setup time_limit safe_set all_libraries
  host_functions host_modules input_json cancel parallel_runtimes)

foreach(name ${KUMO_EMBEDDING_TESTS})
  add_test(NAME unit.embedding.${name} COMMAND kumo_test_embedding ${name})
  set_tests_properties(unit.embedding.${name} PROPERTIES TIMEOUT 120)
endforeach()
