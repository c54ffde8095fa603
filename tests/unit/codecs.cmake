# tests/unit/codecs.cmake - unit tests for the codecs:
#   unit.query  runtime/aws/query.c: every captured request body in
#               ${KUMO_TESTDATA_DIR}/ec2-wire/raw re-encoded from a Lua table
#               (one cmocka test per capture), plus edge cases and errors
#   unit.xml    runtime/aws/xml.c: every captured response body (one cmocka
#               test per capture), DOCTYPE/entity refusal, malformed input,
#               error documents, memory errors
#   unit.json   runtime/aws/json.c and bindings/json.c (json.encode/decode)
# The captures are read at run time, never copied into the repository.

kumo_unit_test(kumo_test_query ${CMAKE_CURRENT_LIST_DIR}/test_query.c)
add_test(NAME unit.query COMMAND kumo_test_query)

kumo_unit_test(kumo_test_xml ${CMAKE_CURRENT_LIST_DIR}/test_xml.c)
add_test(NAME unit.xml COMMAND kumo_test_xml)

kumo_unit_test(kumo_test_json ${CMAKE_CURRENT_LIST_DIR}/test_json.c)
add_test(NAME unit.json COMMAND kumo_test_json)

set_tests_properties(unit.query unit.xml unit.json PROPERTIES TIMEOUT 60)
