# tests/integration/integration.cmake - integration tests against moto.
#
# Each Python file is one ctest test. They drive the built `kumo` command
# ($KUMO_BIN) and start their own moto server on a free 127.0.0.1 port with
# signature checking on (see kumo_fixture.py). Without moto a test is skipped
# (exit 77), unless CI=true, where it fails. The fixture's watchdog stops moto
# and exits after KUMO_TEST_WATCHDOG_S (170 s), before ctest's TIMEOUT.
set(_kumo_integration_dir ${CMAKE_CURRENT_LIST_DIR})
set(_kumo_integration_tests
  fixture        test_fixture.py        # the moto fixture itself (no kumo)
  cli            test_cli.py            # exit codes, --var/--output, logs, help (no AWS)
  moto_ec2       test_moto_ec2.py       # ec2.call against moto, -v lines, kumo.Error
  secrets        test_secrets.py        # AuthFailure, no secret/signature in output
  config_errors  test_config_errors.py  # region/credentials/profile/endpoint resolution
  sandbox        test_sandbox.py        # the offline EC2: quick start, state, EC2-only behaviour
  credentials    test_credentials.py    # credential chain: IMDS/container fakes, credential_process, AssumeRole
  faults         test_faults.py         # fault proxy: transient/persistent faults, attempts, no secrets
  config_command test_config_command.py # kumo config: values, sources, never a secret
)
list(LENGTH _kumo_integration_tests _n)
math(EXPR _last "${_n} - 1")
foreach(_i RANGE 0 ${_last} 2)
  math(EXPR _j "${_i} + 1")
  list(GET _kumo_integration_tests ${_i} _name)
  list(GET _kumo_integration_tests ${_j} _script)
  kumo_python_test(integration.${_name} ${_kumo_integration_dir}/${_script})
  set_tests_properties(integration.${_name} PROPERTIES
    TIMEOUT 180
    SKIP_RETURN_CODE 77
    LABELS integration)
endforeach()

# Scenario suites written once, run against both EC2s: the bundled job, and
# plan / dry run / destroy / purge.
foreach(_suite zenn_clone_sg plan)
  foreach(_backend moto sandbox)
    kumo_python_test(integration.${_suite}.${_backend}
                     ${_kumo_integration_dir}/test_${_suite}.py --backend ${_backend})
    set_tests_properties(integration.${_suite}.${_backend} PROPERTIES
      TIMEOUT 180
      SKIP_RETURN_CODE 77
      LABELS integration)
  endforeach()
endforeach()
