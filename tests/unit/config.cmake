# tests/unit/config.cmake - tests for the config area: the INI parser
# (unit.ini), configuration and static-credential resolution (unit.config),
# the response object and request checks of the transport (http.response),
# and the libcurl transport against local HTTP/HTTPS servers (http.transport,
# driven through tests/tools/http_driver.c).

kumo_unit_test(kumo_test_ini ${CMAKE_CURRENT_LIST_DIR}/test_ini.c)
add_test(NAME unit.ini COMMAND kumo_test_ini)

kumo_unit_test(kumo_test_config ${CMAKE_CURRENT_LIST_DIR}/test_config.c)
add_test(NAME unit.config COMMAND kumo_test_config)
kumo_unit_test(kumo_test_http_response ${CMAKE_CURRENT_LIST_DIR}/test_http_response.c)
add_test(NAME http.response COMMAND kumo_test_http_response)
set_tests_properties(unit.ini unit.config http.response PROPERTIES TIMEOUT 60)

# A command-line client of the transport for the Python test.
add_executable(kumo_http_driver ${CMAKE_SOURCE_DIR}/tests/tools/http_driver.c)
target_include_directories(kumo_http_driver PRIVATE ${CMAKE_SOURCE_DIR}/runtime)
target_compile_options(kumo_http_driver PRIVATE ${KUMO_WARNINGS})
target_link_libraries(kumo_http_driver PRIVATE kumo_static)

kumo_python_test(http.transport ${CMAKE_SOURCE_DIR}/tests/integration/test_http_transport.py
                 $<TARGET_FILE:kumo_http_driver>)
set_tests_properties(http.transport PROPERTIES TIMEOUT 120)
