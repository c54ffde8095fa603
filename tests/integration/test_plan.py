"""test_plan - `kumo run --plan`, `--dry-run` and `--destroy` and sg.ensure's
purge, on the bundled script scripts/zenn_clone_sg.lua, against two EC2s
(ec2_backends.py): moto with signature checking on (ctest:
integration.plan.moto) and kumo's offline sandbox (integration.plan.sandbox).
Preconditions are made and results checked with boto3, never with kumo.

moto only: --dry-run against a second moto whose IAM users are allowed
ec2:Describe* only / ec2:* (DryRunOperation, AccessDenied), and the order of
purge's requests (RecordingProxy). Sandbox only: DependencyViolation (moto
does not return it).
"""

import json
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


def setUpModule():
    BACKEND.start()


def tearDownModule():
    BACKEND.stop()


def rule_set(permissions):
    """boto3 IpPermissions -> set of (protocol, from, to, source)."""
    rules = set()
    for p in permissions:
        key = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges", []):
            rules.add(key + (r["CidrIp"],))
        for r in p.get("Ipv6Ranges", []):
            rules.add(key + (r["CidrIpv6"],))
        for g in p.get("UserIdGroupPairs", []):
            rules.add(key + (g["GroupId"],))
    return rules


class Base(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.ec2 = BACKEND.ec2
        self.prefix = "p" + uuid.uuid4().hex[:10]
        self.backend_name = self.prefix + "-ecs-backend-security-group"
        self.rds_name = self.prefix + "-rds-security-group"
        self.vpc_id = self.ec2.create_vpc(
            CidrBlock="10.0.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [
                {"Key": "Name", "Value": self.prefix + "-vpc"}]}])["Vpc"]["VpcId"]

    def groups(self):
        """{name: group} of the test VPC, without its default group."""
        groups = self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])["SecurityGroups"]
        return {g["GroupName"]: g for g in groups if g["GroupName"] != "default"}

    def snapshot(self):
        return {name: (g["GroupId"], sorted(rule_set(g["IpPermissions"])),
                       sorted(rule_set(g["IpPermissionsEgress"])))
                for name, g in self.groups().items()}

    def run_job(self, *flags, record=False, script=SCRIPT):
        rc, out, err, actions = BACKEND.run(
            ["run", script, "--var", "prefix=" + self.prefix] + list(flags), record=record)
        return (rc, out, err), actions


class PlanTest(Base):
    def test_plan_on_empty_vpc_lists_two_groups_three_rules_and_changes_nothing(self):
        before = self.snapshot()
        result, actions = self.run_job("--plan", "--output", "-", record=True)
        self.assertExit(result, 0)
        rc, out, err = result
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(before, {})
        self.assertTrue(all(a.startswith("Describe") for a in actions), actions)
        self.assertIn("+ security group %s (in %s)" % (self.backend_name, self.vpc_id), err)
        self.assertIn("+ security group %s (in %s)" % (self.rds_name, self.vpc_id), err)
        self.assertIn('    + inbound tcp 80 from 0.0.0.0/0 "HTTP from anywhere (IPv4)"', err)
        self.assertIn('    + inbound tcp 80 from ::/0 "HTTP from anywhere (IPv6)"', err)
        self.assertIn("    + inbound tcp 3306 from security group %s" % self.backend_name, err)
        self.assertIn("Plan: 2 to add, 0 to change, 0 to destroy (rules: 3 to add, 0 to remove).",
                      err)
        plan = self.assertJsonStdout(result)
        self.assertEqual(plan["mode"], "plan")
        self.assertEqual([(c["action"], c["name"]) for c in plan["changes"]],
                         [("create", self.backend_name), ("create", self.rds_name)])
        self.assertEqual(sum(len(c["rules"]) for c in plan["changes"]), 3)
        self.assertEqual(plan["summary"]["add"], 2)
        self.assertEqual(plan["outputs"]["rds_security_group_id"], "(known after apply)")
        self.assertEqual(plan["outputs"]["vpc_id"], self.vpc_id)

    def test_after_a_real_run_plan_shows_no_changes(self):
        self.assertExit(self.run_job()[0], 0)
        before = self.snapshot()
        result, actions = self.run_job("--plan", "--output", "-", record=True)
        self.assertExit(result, 0)
        self.assertIn("No changes.", result[2])
        self.assertEqual(self.assertJsonStdout(result)["changes"], [])
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(all(a.startswith("Describe") for a in actions), actions)

    def test_plan_shows_a_rule_change_on_an_existing_group(self):
        self.assertExit(self.run_job()[0], 0)
        backend = self.groups()[self.backend_name]
        self.ec2.revoke_security_group_ingress(GroupId=backend["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
             "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "HTTP from anywhere (IPv6)"}]}])
        result, _ = self.run_job("--plan")
        self.assertExit(result, 0)
        self.assertIn("~ security group %s (%s)" % (self.backend_name, backend["GroupId"]),
                      result[2])
        self.assertIn('    + inbound tcp 80 from ::/0 "HTTP from anywhere (IPv6)"', result[2])
        self.assertIn("Plan: 0 to add, 1 to change, 0 to destroy", result[2])

    def test_dry_run_changes_nothing(self):
        before = self.snapshot()
        result, _ = self.run_job("--dry-run", "--output", "-")
        self.assertExit(result, 0)
        self.assertIn("Dry run: 4 action(s) allowed, 0 denied.", result[2])
        self.assertEqual(self.assertJsonStdout(result)["denied"], [])
        self.assertEqual(self.snapshot(), before)


class DestroyTest(Base):
    def test_destroy_removes_both_groups_and_a_second_destroy_does_nothing(self):
        self.assertExit(self.run_job()[0], 0)
        ids = {n: g["GroupId"] for n, g in self.groups().items()}
        self.assertEqual(set(ids), {self.backend_name, self.rds_name})
        for g in self.groups().values():
            tags = {t["Key"]: t["Value"] for t in g.get("Tags", [])}
            self.assertEqual(tags.get("kumo:stack"), self.prefix)
        result, actions = self.run_job("--destroy", "--output", "-", record=True)
        self.assertExit(result, 0)
        self.assertEqual(self.groups(), {})
        out = self.assertJsonStdout(result)
        self.assertEqual([r["name"] for r in out["removed"]], [self.rds_name, self.backend_name])
        self.assertIn("destroyed %s (%s)" % (self.rds_name, ids[self.rds_name]), result[2])
        if BACKEND.ordered:
            deletes = [a for a in actions if a.startswith("Delete")]
            self.assertEqual(deletes, ["DeleteSecurityGroup", "DeleteSecurityGroup"])
        second, actions = self.run_job("--destroy", "--output", "-", record=True)
        self.assertExit(second, 0)
        self.assertIn("Nothing to destroy.", second[2])
        self.assertEqual(self.assertJsonStdout(second)["removed"], [])
        self.assertTrue(all(a.startswith("Describe") for a in actions), actions)

    def test_untagged_group_is_refused_without_force(self):
        gid = self.ec2.create_security_group(GroupName=self.backend_name, Description="by hand",
                                             VpcId=self.vpc_id)["GroupId"]
        result, _ = self.run_job("--destroy")
        self.assertExit(result, 1)
        self.assertIn("refusing to destroy security group %s (%s)" % (self.backend_name, gid),
                      result[2])
        self.assertIn("--force", result[2])
        self.assertIn(self.backend_name, self.groups())
        result, _ = self.run_job("--destroy", "--force")
        self.assertExit(result, 0)
        self.assertEqual(self.groups(), {})

    @unittest.skipUnless(BACKEND.name == "sandbox", "moto returns no DependencyViolation")
    def test_dependency_violation_names_the_referencing_group(self):
        self.assertExit(self.run_job()[0], 0)
        backend_id = self.groups()[self.backend_name]["GroupId"]
        other = self.ec2.create_security_group(GroupName=self.prefix + "-other",
                                               Description="not managed by kumo",
                                               VpcId=self.vpc_id)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "UserIdGroupPairs": [{"GroupId": backend_id}]}])
        result, _ = self.run_job("--destroy")
        self.assertExit(result, 1)
        self.assertIn("DependencyViolation", result[2])
        self.assertIn("cannot delete security group %s (%s): still used by 1 rule(s) of "
                      "security group %s-other (%s)" % (self.backend_name, backend_id,
                                                        self.prefix, other), result[2])
        self.assertEqual(set(self.groups()), {self.backend_name, self.prefix + "-other"})


PURGE_SCRIPT = """
local sg = require "kumo.sg"
sg.rules_quota = tonumber(kumo.vars.quota or "60")
local ports = {}
for p in kumo.vars.ports:gmatch("%d+") do ports[#ports + 1] = tonumber(p) end
local rules = {}
for i, p in ipairs(ports) do rules[i] = { protocol = "tcp", port = p, cidr = "10.0.0.0/8" } end
local r = sg.ensure{ name = kumo.vars.prefix .. "-purge", description = "purge test",
                     vpc_id = kumo.vars.vpc_id, ingress = rules, purge = true,
                     stack = kumo.vars.prefix }
return { added = #r.ingress_added, removed = #r.ingress_removed }
"""


class PurgeTest(Base):
    def purge_run(self, ports, quota=60):
        script = self.write_script(PURGE_SCRIPT)
        return self.run_job("--var", "vpc_id=" + self.vpc_id, "--var", "ports=" + ports,
                            "--var", "quota=%d" % quota, "--output", "-", record=True,
                            script=script)

    def ingress(self):
        g = self.groups()[self.prefix + "-purge"]
        return {r[1] for r in rule_set(g["IpPermissions"])}

    def test_purge_adds_then_revokes(self):
        self.assertExit(self.purge_run("22,80")[0], 0)
        self.assertEqual(self.ingress(), {22, 80})
        result, actions = self.purge_run("80,443")
        self.assertExit(result, 0)
        self.assertEqual(self.assertJsonStdout(result), {"added": 1, "removed": 1})
        self.assertEqual(self.ingress(), {80, 443})
        if BACKEND.ordered:
            writes = [a for a in actions if not a.startswith("Describe")]
            self.assertEqual(writes, ["AuthorizeSecurityGroupIngress",
                                      "RevokeSecurityGroupIngress"])
        again, actions = self.purge_run("80,443")
        self.assertEqual(self.assertJsonStdout(again), {"added": 0, "removed": 0})

    def test_purge_over_the_quota_revokes_first_and_says_so(self):
        self.assertExit(self.purge_run("22,80", quota=3)[0], 0)
        result, actions = self.purge_run("443,8080", quota=3)
        self.assertExit(result, 0)
        self.assertIn("would exceed the quota of 3 rules; revoking the undeclared rules first",
                      result[2])
        self.assertEqual(self.ingress(), {443, 8080})
        if BACKEND.ordered:
            writes = [a for a in actions if not a.startswith("Describe")]
            self.assertEqual(writes, ["RevokeSecurityGroupIngress",
                                      "AuthorizeSecurityGroupIngress"])


# ---- dry run against IAM users (moto only) ----------------------------------------


class IamMoto(kf.Moto):
    """A second moto whose bootstrap makes two users: ec2:Describe* only, and ec2:*."""

    def _bootstrap(self):
        iam = self.client("iam", "AKIDBOOTSTRAPEXAMPLE", "bootstrap-secret-not-checked")
        self.keys = {}
        for user, actions in (("readonly", ["ec2:Describe*"]), ("admin", ["ec2:*"])):
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            arn = iam.create_policy(PolicyName=user + "-policy", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))[
                "Policy"]["Arn"]
            iam.attach_user_policy(UserName=user, PolicyArn=arn)
            self.keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        self.access_key_id, self.secret_access_key = self.keys["admin"]


@unittest.skipUnless(BACKEND.name == "moto", "IAM is moto's")
class DryRunIamTest(kf.KumoTestCase):
    @classmethod
    def setUpClass(cls):
        saved = kf.NO_AUTH_COUNT
        kf.NO_AUTH_COUNT = 8
        try:
            cls.moto = IamMoto().start()
        finally:
            kf.NO_AUTH_COUNT = saved

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        super().setUp()
        self.ec2 = self.moto.ec2
        self.prefix = "d" + uuid.uuid4().hex[:10]
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]

    def dry_run(self, user):
        key, secret = self.moto.keys[user]
        return kf.run_kumo(["run", SCRIPT, "--var", "prefix=" + self.prefix, "--var",
                            "vpc_id=" + self.vpc_id, "--dry-run", "--endpoint",
                            self.moto.endpoint],
                           env_extra={"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                                      "AWS_REGION": kf.MOTO_REGION})

    def groups(self):
        return [g for g in self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])["SecurityGroups"]
            if g["GroupName"] != "default"]

    def test_denied_actions_are_listed_with_exit_1(self):
        result = self.dry_run("readonly")
        self.assertExit(result, 1)
        err = result[2]
        self.assertIn("denied   CreateSecurityGroup", err)
        self.assertIn("denied   AuthorizeSecurityGroupIngress", err)
        self.assertRegex(err, r"UnauthorizedOperation: dry run: 2 action\(s\) denied: "
                              r"CreateSecurityGroup, AuthorizeSecurityGroupIngress")
        self.assertNoSecret(result, self.moto.keys["readonly"][1])
        self.assertEqual(self.groups(), [])

    def test_allowed_user_passes_with_exit_0(self):
        result = self.dry_run("admin")
        self.assertExit(result, 0)
        self.assertIn("Dry run: 4 action(s) allowed, 0 denied.", result[2])
        self.assertIn("allowed  CreateSecurityGroup", result[2])
        self.assertEqual(self.groups(), [])


if __name__ == "__main__":
    kf.main()
