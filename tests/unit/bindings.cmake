# tests/unit/bindings.cmake - the typed EC2 bindings (bindings/ec2_*.c) and
# kumo.net over a scripted fake transport: wire parameters against the
# captured requests in ${KUMO_TESTDATA_DIR}/ec2-wire/raw, result shapes from
# the captured responses, rule identities, every validation error (nothing
# sent), pagination. One ctest per cmocka test (unit.bindings.NAME), so a
# failure names its case; the program takes the test name as its argument.

kumo_unit_test(kumo_test_bindings ${CMAKE_CURRENT_LIST_DIR}/test_bindings.c
               ${CMAKE_CURRENT_LIST_DIR}/fake_transport.c)

set(KUMO_BINDINGS_TESTS
  create_security_group create_security_group_dry_run authorize_ingress_cidrs
  authorize_ingress_source_group authorize_ingress_other_account authorize_egress_prefix_list
  authorize_protocols revoke_ingress_rules revoke_egress_rule_ids
  describe_security_groups_by_filter describe_security_groups_by_id
  describe_security_groups_other_owner describe_security_group_rules delete_security_group
  describe_vpcs describe_vpcs_by_id_and_filters create_tags round_trip_capture_07
  described_rules_authorize_again net pagination pagination_repeated_token)

# One per validation error class (the bad_case table in test_bindings.c).
set(KUMO_BINDINGS_INVALID_CASES
  unknown_field unknown_top_field type type_float type_argument port_range port_negative
  from_greater cidr cidr_ipv6 protocol protocol_number name_sg name_long description_long
  rule_description_long description_chars rule_description_chars name_chars duplicate_rule
  duplicate_revoke duplicate_rule_id no_source two_sources port_and_range half_range icmp_port
  all_ports source_group source_group_field group_id vpc_id empty_rules rules_not_list
  revoke_both revoke_neither missing_description tag_value tag_key resource dry_run filter
  filter_value describe_field)
list(TRANSFORM KUMO_BINDINGS_INVALID_CASES PREPEND "invalid.")

foreach(name ${KUMO_BINDINGS_TESTS} ${KUMO_BINDINGS_INVALID_CASES})
  add_test(NAME unit.bindings.${name} COMMAND kumo_test_bindings ${name})
  set_tests_properties(unit.bindings.${name} PROPERTIES TIMEOUT 60)
endforeach()
