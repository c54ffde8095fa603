"""test_zenn_clone_sg - the bundled job, scripts/zenn_clone_sg.lua, against a
signature-checking moto. Preconditions (the VPC) are made and results checked
with boto3, never with kumo. (ctest: integration.zenn_clone_sg)

Each test works in its own VPC under its own prefix, so tests are independent.
"""

import os
import re
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402

SCRIPT = os.path.join(kf.SOURCE_DIR, "scripts", "zenn_clone_sg.lua")
ALL_TRAFFIC_OUT = [("-1", None, None, "cidr", "0.0.0.0/0")]


def setUpModule():
    kf.start_moto()


def tearDownModule():
    kf.stop_moto()


def actions(requests):
    """The EC2 Action of each recorded request, in order."""
    out = []
    for r in requests:
        form = urllib.parse.parse_qs(r["body"])
        out.append(form.get("Action", ["?"])[0])
    return out


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
        self.moto = kf.moto()
        self.ec2 = self.moto.ec2
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

    def run_job(self, *extra, endpoint=None):
        args = ["run", SCRIPT, "--var", "prefix=" + self.prefix, "--output", "-",
                "--endpoint", endpoint or self.moto.endpoint] + list(extra)
        return kf.run_kumo(args, moto_credentials=True)

    def run_job_recorded(self, *extra):
        with kf.RecordingProxy(int(self.moto.endpoint.rsplit(":", 1)[1])) as proxy:
            result = self.run_job(*extra, endpoint=proxy.endpoint)
        return result, proxy.requests

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
        self.assertNoSecret((rc, out, err))
        ids = self.assertJsonStdout((rc, out, err))
        backend, rds = self.assert_expected_groups(vpc_id, ids)
        self.assertEqual(actions(sent).count("CreateSecurityGroup"), 2)
        self.assertEqual(actions(sent).count("AuthorizeSecurityGroupIngress"), 2)
        self.assertNotIn("AuthorizeSecurityGroupEgress", actions(sent))
        # the ECS group is created before the RDS group that references it
        creates = [urllib.parse.parse_qs(r["body"])["GroupName"][0]
                   for r in sent if "Action=CreateSecurityGroup" in r["body"]]
        self.assertEqual(creates, [self.backend_name, self.rds_name])
        self.assertRegex(err, r"created %s \(%s" % (re.escape(self.backend_name), backend["GroupId"]))
        self.assertRegex(err, r"created %s \(%s" % (re.escape(self.rds_name), rds["GroupId"]))
        before = {g: self.rule_ids(g) for g in (backend["GroupId"], rds["GroupId"])}

        (rc2, out2, err2), sent2 = self.run_job_recorded()
        self.assertExit((rc2, out2, err2), 0)
        self.assertEqual(self.assertJsonStdout((rc2, out2, err2)), ids)
        self.assertTrue(all(a.startswith("Describe") for a in actions(sent2)), actions(sent2))
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

        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 0)
        self.assertEqual(self.assertJsonStdout((rc, out, err)), ids)
        self.assert_expected_groups(vpc_id, ids)
        authorize = [urllib.parse.parse_qs(q["body"]) for q in sent
                     if "Action=AuthorizeSecurityGroupIngress" in q["body"]]
        self.assertEqual(len(authorize), 1, actions(sent))
        self.assertEqual(authorize[0]["IpPermissions.1.Ipv6Ranges.1.CidrIpv6"], ["::/0"])
        self.assertNotIn("IpPermissions.2.IpProtocol", authorize[0])  # only what was missing
        self.assertIn("updated " + self.backend_name, err)
        self.assertIn("unchanged " + self.rds_name, err)

    def test_vpc_id_var_skips_the_lookup(self):
        vpc_id = self.make_vpc("not-named-like-the-prefix")
        (rc, out, err), sent = self.run_job_recorded("--var", "vpc_id=" + vpc_id)
        self.assertExit((rc, out, err), 0)
        self.assertNotIn("DescribeVpcs", actions(sent))
        self.assert_expected_groups(vpc_id, self.assertJsonStdout((rc, out, err)))

    def test_missing_vpc_names_vpc_and_region(self):
        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 1)
        self.assertEqual(out, "")
        self.assertIn("'%s-vpc'" % self.prefix, err)
        self.assertIn(kf.MOTO_REGION, err)
        self.assertEqual(actions(sent), ["DescribeVpcs"])

    def test_two_vpcs_with_the_same_name_are_listed(self):
        first = self.make_vpc(self.prefix + "-vpc")
        second = self.make_vpc(self.prefix + "-vpc", cidr="10.1.0.0/16")
        (rc, out, err), sent = self.run_job_recorded()
        self.assertExit((rc, out, err), 1)
        self.assertIn(first, err)
        self.assertIn(second, err)
        self.assertEqual(actions(sent), ["DescribeVpcs"])
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
                with kf.RecordingProxy(int(self.moto.endpoint.rsplit(":", 1)[1])) as proxy:
                    r = kf.run_kumo(["run", script, "--endpoint", proxy.endpoint],
                                    moto_credentials=True)
                self.assertExit(r, 1)
                self.assertIn(expected, r[2])
                self.assertIn("script.lua:3", r[2])  # the line of the sg.ensure call
                self.assertEqual(proxy.requests, [], "a request was sent for a bad rule")
        self.assertEqual(set(self.groups_in(vpc_id)), {"default"})


if __name__ == "__main__":
    kf.main()
