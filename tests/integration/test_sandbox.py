"""test_sandbox - what only kumo's offline sandbox can show (moto cannot):
the quick start with no AWS setup at all, state files that runs build on,
real EC2 behaviour moto lacks (DependencyViolation, MaxResults/NextToken
pagination, DryRunOperation 412, the 60-rule quota, canonical CIDRs,
duplicates whatever the description), signature checking, and corrupt state
files. Results are checked with boto3 through `kumo sandbox serve`.
(ctest: integration.sandbox)
"""

import json
import os
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ec2_backends  # noqa: E402
import kumo_fixture as kf  # noqa: E402

SOURCE = kf.SOURCE_DIR
VPC_SCRIPT = os.path.join(SOURCE, "scripts", "zenn_clone_vpc.lua")
SG_SCRIPT = os.path.join(SOURCE, "scripts", "zenn_clone_sg.lua")
SANDBOX = ec2_backends.SandboxBackend()


def setUpModule():
    SANDBOX.start()


def tearDownModule():
    SANDBOX.stop()


class SandboxTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.ec2 = SANDBOX.ec2
        self.prefix = "s" + uuid.uuid4().hex[:10]

    def run_sandbox(self, args, record=False):
        return SANDBOX.run(args, record=record)

    def lua(self, text, *args):
        script = self.write_script(text)
        rc, out, err, _ = self.run_sandbox(["run", script, "--output", "-"] + list(args))
        self.assertExit((rc, out, err), 0)
        return self.assertJsonStdout((rc, out, err))

    def make_vpc(self, name):
        return self.ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}])["Vpc"]["VpcId"]

    # ---- the quick start ----------------------------------------------------

    def test_quick_start_needs_no_aws_setup_and_builds_on_its_state(self):
        state = os.path.join(self.tmp, "quick.json")
        env = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None}  # no region, no keys, no files
        first = kf.run_kumo(["run", VPC_SCRIPT, "--sandbox=" + state, "--output", "-"],
                            env_extra=env)
        self.assertExit(first, 0)
        vpc = self.assertJsonStdout(first)
        self.assertTrue(vpc["created"])
        self.assertIn("created VPC zenn-clone-vpc", first[2])
        sg = kf.run_kumo(["run", SG_SCRIPT, "--sandbox=" + state, "--output", "-"], env_extra=env)
        self.assertExit(sg, 0)
        ids = self.assertJsonStdout(sg)
        self.assertEqual(ids["vpc_id"], vpc["vpc_id"])
        self.assertIn("created zenn-clone-ecs-backend-security-group", sg[2])
        self.assertIn("created zenn-clone-rds-security-group", sg[2])
        with open(state) as f:
            saved = json.load(f)
        self.assertEqual(saved.get("format"), "kumo-sandbox/1")

        again_vpc = kf.run_kumo(["run", VPC_SCRIPT, "--sandbox=" + state, "--output", "-"],
                                env_extra=env)
        again_sg = kf.run_kumo(["run", SG_SCRIPT, "--sandbox=" + state, "--output", "-"],
                               env_extra=env)
        self.assertExit(again_vpc, 0)
        self.assertExit(again_sg, 0)
        self.assertFalse(self.assertJsonStdout(again_vpc)["created"])
        self.assertEqual(self.assertJsonStdout(again_sg), ids)
        self.assertNotIn("created", again_vpc[2] + again_sg[2])
        self.assertIn("unchanged zenn-clone-rds-security-group", again_sg[2])

    def test_in_memory_sandbox_starts_empty_each_run(self):
        r = kf.run_kumo(["run", SG_SCRIPT, "--sandbox"])
        self.assertExit(r, 1)
        self.assertIn("no VPC named 'zenn-clone-vpc' in region us-east-1", r[2])
        r = kf.run_kumo(["run", self.write_script("""
            local vpc = require "kumo.vpc"
            local v = vpc.ensure{ name = "a-vpc", cidr = "10.9.0.0/16" }
            local defaults = ec2.describe_vpcs{ filters = { ["is-default"] = "true" } }
            return { created = v.created, defaults = #defaults }
        """), "--sandbox", "--output", "-"])
        self.assertExit(r, 0)
        self.assertEqual(self.assertJsonStdout(r), {"created": True, "defaults": 1})

    # ---- EC2 behaviour moto lacks ---------------------------------------------

    def job(self):
        self.make_vpc(self.prefix + "-vpc")
        rc, out, err, _ = self.run_sandbox(["run", SG_SCRIPT, "--var", "prefix=" + self.prefix,
                                            "--output", "-"])
        self.assertExit((rc, out, err), 0)
        return self.assertJsonStdout((rc, out, err))

    def test_deleting_a_referenced_group_is_a_dependency_violation(self):
        ids = self.job()
        got = self.lua("""
            local ok, err = pcall(ec2.delete_security_group, { group_id = kumo.vars.id })
            return { ok = ok, code = err.code, status = err.http_status, message = err.message }
        """, "--var", "id=" + ids["ecs_backend_security_group_id"])
        self.assertEqual(got["ok"], False)
        self.assertEqual(got["code"], "DependencyViolation")
        self.assertEqual(got["status"], 400)
        self.assertIn(ids["rds_security_group_id"], got["message"])
        groups = self.ec2.describe_security_groups(
            GroupIds=[ids["ecs_backend_security_group_id"]])["SecurityGroups"]
        self.assertEqual(len(groups), 1)
        # in the right order both go
        self.ec2.delete_security_group(GroupId=ids["rds_security_group_id"])
        self.ec2.delete_security_group(GroupId=ids["ecs_backend_security_group_id"])

    def test_pagination_with_max_results(self):
        vpc_id = self.make_vpc(self.prefix + "-vpc")
        made = set()
        for i in range(12):
            made.add(self.ec2.create_security_group(
                GroupName="%s-%02d" % (self.prefix, i), Description="page test",
                VpcId=vpc_id)["GroupId"])
        page = self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], MaxResults=5)
        self.assertEqual(len(page["SecurityGroups"]), 5)
        self.assertIn("NextToken", page)
        got = self.lua("""
            local paginate = require "kumo.paginate"
            local first = ec2.call("DescribeSecurityGroups", { MaxResults = 5,
              Filter = { { Name = "vpc-id", Value = { kumo.vars.vpc } } } })
            local all = paginate.all("DescribeSecurityGroups", { MaxResults = 5,
              Filter = { { Name = "vpc-id", Value = { kumo.vars.vpc } } } }, "securityGroupInfo")
            local ids = {}
            for _, g in ipairs(all) do ids[#ids + 1] = g.groupId end
            local typed = ec2.describe_security_groups{ vpc_id = kumo.vars.vpc }
            return { first = #first.securityGroupInfo, token = first.nextToken ~= nil,
                     ids = ids, typed = #typed }
        """, "--var", "vpc=" + vpc_id)
        self.assertEqual(got["first"], 5)
        self.assertTrue(got["token"])
        self.assertEqual(len(got["ids"]), 13)  # 12 and the VPC's default group
        self.assertEqual(len(set(got["ids"])), 13)
        self.assertTrue(made <= set(got["ids"]))
        self.assertEqual(got["typed"], 13)

    def test_dry_run_is_412_and_changes_nothing(self):
        vpc_id = self.make_vpc(self.prefix + "-vpc")
        got = self.lua("""
            local ok, err = pcall(ec2.create_security_group, { name = "dry", description = "d",
              vpc_id = kumo.vars.vpc, dry_run = true })
            return { ok = ok, code = err.code, status = err.http_status }
        """, "--var", "vpc=" + vpc_id)
        self.assertEqual(got, {"ok": False, "code": "DryRunOperation", "status": 412})
        names = {g["GroupName"] for g in self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]}
        self.assertEqual(names, {"default"})

    def test_rule_quota_canonical_cidrs_and_duplicates(self):
        vpc_id = self.make_vpc(self.prefix + "-vpc")
        got = self.lua("""
            local g = ec2.create_security_group{ name = "q", description = "quota",
                                                 vpc_id = kumo.vars.vpc }
            local rules = {}
            for i = 1, 61 do
              rules[i] = { protocol = "tcp", port = 1000 + i, cidr = "10.0.0.0/8" }
            end
            local ok, err = pcall(ec2.authorize_ingress, { group_id = g.group_id, rules = rules })
            -- a host address is stored canonically; the same block again is a duplicate,
            -- whatever its description
            ec2.call("AuthorizeSecurityGroupIngress", { GroupId = g.group_id, IpPermissions = {
              { IpProtocol = "tcp", FromPort = 22, ToPort = 22,
                IpRanges = { { CidrIp = "10.0.0.18/8", Description = "first" } } } } })
            local ok2, err2 = pcall(ec2.call, "AuthorizeSecurityGroupIngress", {
              GroupId = g.group_id, IpPermissions = { { IpProtocol = "tcp", FromPort = 22,
              ToPort = 22, IpRanges = { { CidrIp = "10.0.0.0/8", Description = "other" } } } } })
            return { quota = err.code, dup = err2.code, id = g.group_id }
        """, "--var", "vpc=" + vpc_id)
        self.assertEqual(got["quota"], "RulesPerSecurityGroupLimitExceeded")
        self.assertEqual(got["dup"], "InvalidPermission.Duplicate")
        group = self.ec2.describe_security_groups(GroupIds=[got["id"]])["SecurityGroups"][0]
        cidrs = [(p["FromPort"], r["CidrIp"]) for p in group["IpPermissions"]
                 for r in p["IpRanges"]]
        self.assertEqual(cidrs, [(22, "10.0.0.0/8")])  # nothing of the refused 61

    # ---- the sandbox checks signatures and keeps its state safe --------------

    def test_wrong_secret_is_refused(self):
        import boto3
        import botocore.exceptions

        bad = boto3.client("ec2", endpoint_url=SANDBOX.endpoint, region_name="us-east-1",
                           aws_access_key_id=SANDBOX.access_key_id(),
                           aws_secret_access_key="not-the-sandbox-secret")
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            bad.describe_vpcs()
        self.assertEqual(caught.exception.response["Error"]["Code"], "AuthFailure")
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 401)

    def test_corrupt_state_file_is_an_error_and_left_alone(self):
        for content in (b"{ not json", b'{"format": "something-else/9"}', b"[]"):
            with self.subTest(content=content):
                path = os.path.join(self.tmp, "bad.json")
                with open(path, "wb") as f:
                    f.write(content)
                r = kf.run_kumo(["run", VPC_SCRIPT, "--sandbox=" + path])
                self.assertExit(r, 1)
                self.assertIn(path, r[2])
                with open(path, "rb") as f:
                    self.assertEqual(f.read(), content)
                self.assertEqual(sorted(os.listdir(self.tmp)), ["bad.json"])

    def test_sandbox_takes_no_endpoint(self):
        r = kf.run_kumo(["run", VPC_SCRIPT, "--sandbox", "--endpoint", "http://127.0.0.1:1"])
        self.assertExit(r, 2)


if __name__ == "__main__":
    kf.main()
