# tests/unit/sigv4.cmake - tests of the SigV4 signer (runtime/aws/sigv4.c):
#   sigv4.unit                       API behaviour (bad input, dates, paths, queries, headers)
#   sigv4.aws-c-auth.<case>          one test per header-signed aws-c-auth v4 vector
#   sigv4.botocore.<group>.<case>    one test per botocore aws4_testsuite vector
#   sigv4.vectors.inventory          every vector folder on disk is registered here or listed
#                                    as excluded (with its reason) in test_sigv4_vectors.c
#   sigv4.differential.botocore      random EC2-shaped requests signed by botocore and by kumo
# The vectors are read at run time from ${KUMO_TESTDATA_DIR}/sigv4 (never copied here).

kumo_unit_test(test_sigv4 ${CMAKE_CURRENT_LIST_DIR}/test_sigv4.c)
add_test(NAME sigv4.unit COMMAND test_sigv4)

kumo_unit_test(test_sigv4_vectors ${CMAKE_CURRENT_LIST_DIR}/test_sigv4_vectors.c)
target_link_libraries(test_sigv4_vectors PRIVATE PkgConfig::CJSON)

# aws-c-auth/v4/<case>: all 38 cases (the two sign_body cases included; see the test source).
set(KUMO_SIGV4_AWS_C_AUTH_CASES
  get-header-key-duplicate get-header-value-multiline get-header-value-order
  get-header-value-trim get-relative-normalized get-relative-relative-normalized
  get-relative-relative-unnormalized get-relative-unnormalized get-slash-dot-slash-normalized
  get-slash-dot-slash-unnormalized get-slash-normalized get-slash-pointless-dot-normalized
  get-slash-pointless-dot-unnormalized get-slash-unnormalized get-slashes-normalized
  get-slashes-unnormalized get-space-normalized get-space-unnormalized get-unreserved get-utf8
  get-vanilla get-vanilla-empty-query-key get-vanilla-query get-vanilla-query-order-encoded
  get-vanilla-query-order-key-case get-vanilla-query-unreserved get-vanilla-utf8-query
  get-vanilla-with-session-token post-header-key-case post-header-key-sort
  post-header-value-case post-sts-header-after post-sts-header-before post-vanilla
  post-vanilla-empty-query-value post-vanilla-query post-x-www-form-urlencoded
  post-x-www-form-urlencoded-parameters)

# botocore-aws4_testsuite/<case> and the nested groups: all 34 cases.
set(KUMO_SIGV4_BOTOCORE_CASES
  get-header-key-duplicate get-header-value-multiline get-header-value-order
  get-header-value-trim get-unreserved get-utf8 get-vanilla get-vanilla-empty-query-key
  get-vanilla-query get-vanilla-query-order-encoded get-vanilla-query-order-key
  get-vanilla-query-order-key-case get-vanilla-query-order-value get-vanilla-query-unreserved
  get-vanilla-utf8-query get-vanilla-with-session-token
  normalize-path/get-relative normalize-path/get-relative-relative normalize-path/get-slash
  normalize-path/get-slash-dot-slash normalize-path/get-slash-pointless-dot
  normalize-path/get-slashes normalize-path/get-space normalize-path/get-special-character
  post-header-key-case post-header-key-sort post-header-value-case
  post-sts-token/post-sts-header-after post-sts-token/post-sts-header-before
  post-vanilla post-vanilla-empty-query-value post-vanilla-query post-x-www-form-urlencoded
  post-x-www-form-urlencoded-parameters)

set(_kumo_sigv4_registered)
foreach(case ${KUMO_SIGV4_AWS_C_AUTH_CASES})
  add_test(NAME sigv4.aws-c-auth.${case} COMMAND test_sigv4_vectors aws-c-auth ${case})
  list(APPEND _kumo_sigv4_registered aws-c-auth/${case})
endforeach()
foreach(case ${KUMO_SIGV4_BOTOCORE_CASES})
  string(REPLACE "/" "." test_name "${case}")
  add_test(NAME sigv4.botocore.${test_name} COMMAND test_sigv4_vectors botocore ${case})
  list(APPEND _kumo_sigv4_registered botocore/${case})
endforeach()
add_test(NAME sigv4.vectors.inventory
         COMMAND test_sigv4_vectors --inventory ${_kumo_sigv4_registered})

# The differential test: a JSON-lines signing tool driven by Python + botocore.
add_executable(sigv4_sign_tool ${CMAKE_SOURCE_DIR}/tests/tools/sigv4_sign.c)
target_include_directories(sigv4_sign_tool PRIVATE ${CMAKE_SOURCE_DIR}/runtime)
target_compile_options(sigv4_sign_tool PRIVATE ${KUMO_WARNINGS})
target_link_libraries(sigv4_sign_tool PRIVATE kumo_static PkgConfig::CJSON)

kumo_python_test(sigv4.differential.botocore
                 ${CMAKE_SOURCE_DIR}/tests/integration/test_sigv4_differential.py
                 $<TARGET_FILE:sigv4_sign_tool>)
