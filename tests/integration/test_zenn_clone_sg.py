"""test_zenn_clone_sg - the scenario suite of the bundled job,
scripts/zenn_clone_sg.lua, written once and run against two EC2s
(ec2_backends.py): moto with signature checking on (ctest:
integration.zenn_clone_sg.moto) and kumo's offline sandbox (ctest:
integration.zenn_clone_sg.sandbox). Preconditions (the VPC) are made and
results checked with boto3, never with kumo.

Each test works in its own VPC under its own prefix, so tests are independent.
"""

import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ec2_backends  # noqa: E402
import kumo_fixture as kf  # noqa: E402

BACKEND = ec2_backends.from_argv(sys.argv)

SCRIPT = os.path.join(kf.SOURCE_DIR, "scripts", "zenn_clone_sg.lua")
ALL_TRAFFIC_OUT = [("-1", None, None, "cidr", "0.0.0.0/0")]


def setUpModule():
    BACKEND.start()


def tearDownModule():
    BACKEND.stop()


def rule_set(permissions):
    """boto3 IpPermissions -> a set of (protocol, from, to, kind, source) tuples."""
    rules = set()
    for p in permissions:
        proto, lo, hi = p["IpProtocol"], p.get("FromPort"), p.get("ToPort")
        if proto == "-1":
            lo = hi = None
        for r in p.get("IpRanges", []):
            rules.add((proto, lo, hi, "cidr", r["CidrIp"]))
        for r in p.get("Ipv6Ranges", []):
            rules.add((proto, lo, hi, "cidr", r["CidrIpv6"]))
        for g in p.get("UserIdGroupPairs", []):
            rules.add((proto, lo, hi, "group", g["GroupId"]))
        for pl in p.get("PrefixListIds", []):
            rules.add((proto, lo, hi, "prefix", pl["PrefixListId"]))
    return rules


class ZennCloneSgTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.backend = BACKEND
        self.ec2 = BACKEND.ec2
        self.prefix = "t" + uuid.uuid4().hex[:10]
        self.backend_name = self.prefix + "-ecs-backend-security-group"
        self.rds_name = self.prefix + "-rds-security-group"

    # ---- helpers (boto3 only) ------------------------------------------------

    def make_vpc(self, name, cidr="10.0.0.0/16"):
        vpc = self.ec2.create_vpc(
            CidrBlock=cidr,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}],
        )["Vpc"]["VpcId"]
        return vpc

    def groups_in(self, vpc_id):
        groups = self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
        )["SecurityGroups"]
        return {g["GroupName"]: g for g in groups}

    def rule_ids(self, group_id):
        rules = self.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group_id]}]
        )["SecurityGroupRules"]
        return sorted(r["SecurityGroupRuleId"] for r in rules)

    def run_job(self, *extra):
        args = ["run", SCRIPT, "--var", "prefix=" + self.prefix, "--output", "-"] + list(extra)
        return self.backend.run(args)[:3]

    def run_job_recorded(self, *extra):
        """((exit, stdout, stderr), actions sent)."""
        args = ["run", SCRIPT, "--var", "prefix=" + self.prefix, "--output", "-"] + list(extra)
        rc, out, err, actions = self.backend.run(args, record=True)
        return (rc, out, err), actions

    def assert_expected_groups(self, vpc_id, ids):
        groups = self.groups_in(vpc_id)
        self.assertEqual(set(groups), {"default", self.backend_name, self.rds_name})
        backend, rds = groups[self.backend_name], groups[self.rds_name]
        self.assertEqual(ids["ecs_backend_security_group_id"], backend["GroupId"])
        self.assertEqual(ids["rds_security_group_id"], rds["GroupId"])
        self.assertEqual(ids["vpc_id"], vpc_id)
        self.assertEqual(rule_set(backend["IpPermissions"]), {
            ("tcp", 80, 80, "cidr", "0.0.0.0/0"),
            ("tcp", 80, 80, "cidr", "::/0"),
        })
        self.assertEqual(rule_set(rds["IpPermissions"]), {
            ("tcp", 3306, 3306, "group", backend["GroupId"]),
        })
        for g in (backend, rds):
            self.assertEqual(rule_set(g["IpPermissionsEgress"]), set(ALL_TRAFFIC_OUT))
            tags = {t["Key"]: t["Value"] for t in g.get("Tags", [])}
            self.assertEqual(tags.get("Name"), g["GroupName"])
        return backend, rds

    # ---- scenarios ---------------------------------------------------------

    def test_first_run_creates_then_second_run_changes_nothing(self):
        vpc_id = self.make_vpc(self.prefix + "-vpc")
        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 0)
        if self.backend.name == "moto":
            self.assertNoSecret((rc, out, err))
        ids = self.assertJsonStdout((rc, out, err))
        backend, rds = self.assert_expected_groups(vpc_id, ids)
        self.assertEqual(sent.count("CreateSecurityGroup"), 2)
        self.assertEqual(sent.count("AuthorizeSecurityGroupIngress"), 2)
        self.assertNotIn("AuthorizeSecurityGroupEgress", sent)
        # The ECS group is created before the RDS group that references it: the
        # RDS rule could not have been authorized otherwise (both EC2s check
        # that a source group exists), and the summary lines come in that order.
        self.assertLess(err.index("created " + self.backend_name), err.index("created " + self.rds_name))
        self.assertRegex(err, r"created %s \(%s" % (re.escape(self.backend_name), backend["GroupId"]))
        self.assertRegex(err, r"created %s \(%s" % (re.escape(self.rds_name), rds["GroupId"]))
        before = {g: self.rule_ids(g) for g in (backend["GroupId"], rds["GroupId"])}

        (rc2, out2, err2), sent2 = self.run_job_recorded()
        self.assertExit((rc2, out2, err2), 0)
        self.assertEqual(self.assertJsonStdout((rc2, out2, err2)), ids)
        self.assertTrue(sent2, "the second run sent no request at all")
        self.assertTrue(all(a.startswith("Describe") for a in sent2), sent2)
        self.assert_expected_groups(vpc_id, ids)
        self.assertEqual({g: self.rule_ids(g) for g in before}, before)
        self.assertIn("unchanged " + self.backend_name, err2)
        self.assertIn("unchanged " + self.rds_name, err2)
        self.assertNotIn("created", err2)

    def test_revoked_rule_is_restored(self):
        vpc_id = self.make_vpc(self.prefix + "-vpc")
        r = self.run_job()
        self.assertExit(r, 0)
        ids = self.assertJsonStdout(r)
        backend_id = ids["ecs_backend_security_group_id"]
        self.ec2.revoke_security_group_ingress(GroupId=backend_id, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        backend = self.groups_in(vpc_id)[self.backend_name]
        self.assertEqual(rule_set(backend["IpPermissions"]), {("tcp", 80, 80, "cidr", "0.0.0.0/0")})

        rules_before = self.rule_ids(backend_id)
        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 0)
        self.assertEqual(self.assertJsonStdout((rc, out, err)), ids)
        self.assert_expected_groups(vpc_id, ids)
        self.assertEqual(sent.count("AuthorizeSecurityGroupIngress"), 1, sent)
        self.assertNotIn("CreateSecurityGroup", sent)
        # only the missing rule was added: the IPv4 rule kept its id
        rules_after = self.rule_ids(backend_id)
        self.assertEqual(len(rules_after), len(rules_before) + 1)
        self.assertTrue(set(rules_before) <= set(rules_after))
        self.assertIn("updated " + self.backend_name, err)
        self.assertIn("unchanged " + self.rds_name, err)

    def test_vpc_id_var_skips_the_lookup(self):
        vpc_id = self.make_vpc("not-named-like-the-prefix")
        (rc, out, err), sent = self.run_job_recorded("--var", "vpc_id=" + vpc_id)
        self.assertExit((rc, out, err), 0)
        self.assertNotIn("DescribeVpcs", sent)
        self.assert_expected_groups(vpc_id, self.assertJsonStdout((rc, out, err)))

    def test_missing_vpc_names_vpc_and_region(self):
        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 1)
        self.assertEqual(out, "")
        self.assertIn("'%s-vpc'" % self.prefix, err)
        self.assertIn(self.backend.region, err)
        self.assertEqual(sent, ["DescribeVpcs"])

    def test_two_vpcs_with_the_same_name_are_listed(self):
        first = self.make_vpc(self.prefix + "-vpc")
        second = self.make_vpc(self.prefix + "-vpc", cidr="10.1.0.0/16")
        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 1)
        self.assertIn(first, err)
        self.assertIn(second, err)
        self.assertEqual(sent, ["DescribeVpcs"])
        for vpc in (first, second):
            self.assertEqual(set(self.groups_in(vpc)), {"default"})

    def test_bad_rule_in_custom_script_sends_nothing(self):
        vpc_id = self.make_vpc(self.prefix + "-vpc")
        cases = {
            'protocol = "tcp", port = 70000, cidr = "0.0.0.0/0"': "ingress[2].port",
            'protocol = "tcp", port = 80, cidr = "10.0.0.0/33"': "ingress[2].cidr",
            'protocol = "tpc", port = 80, cidr = "0.0.0.0/0"': "ingress[2].protocol",
            'protocol = "tcp", port = 80, cdir = "0.0.0.0/0"': "ingress[2].cdir",
            'protocol = "tcp", port = 443, cidr = "0.0.0.0/0"': "ingress[2]: the same rule as ingress[1]",
        }
        for rule, expected in cases.items():
            with self.subTest(rule=rule):
                script = self.write_script("""
                    local sg = require "kumo.sg"
                    local group = sg.ensure{
                      name = "custom-%s", description = "custom", vpc_id = "%s",
                      ingress = {
                        { protocol = "tcp", port = 443, cidr = "0.0.0.0/0" },
                        { %s },
                      },
                    }
                    return group
                """ % (self.prefix, vpc_id, rule))
                rc, out, err, sent = self.backend.run(["run", script], record=True)
                self.assertExit((rc, out, err), 1)
                self.assertIn(expected, err)
                self.assertIn("script.lua:3", err)  # the line of the sg.ensure call
                self.assertEqual(sent, [], "a request was sent for a bad rule")
        self.assertEqual(set(self.groups_in(vpc_id)), {"default"})


if __name__ == "__main__":
    kf.main()
