"""test_moto_ec2 - `kumo run` against a signature-checking moto: ec2.call
results (checked with boto3), what was sent, -v lines, and kumo.Error fields
of a caught and an uncaught AWS error. (ctest: integration.moto_ec2)
"""

import os
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402


def setUpModule():
    kf.start_moto()


def tearDownModule():
    kf.stop_moto()


MS_RE = kf.VERBOSE_MS_RE
ATTEMPT_RE = kf.VERBOSE_ATTEMPT_RE
http_lines = kf.http_lines


def as_list(value):
    """An <item> list decoded by kumo: a JSON array (an empty set may be absent or {})."""
    if value is None or value == {}:
        return []
    return value


def is_true(value):
    return value is True or value == "true"


class DescribeVpcsTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.moto = kf.moto()

    def run_moto(self, args, endpoint=None, **kw):
        args = list(args) + ["--endpoint", endpoint or self.moto.endpoint]
        return kf.run_kumo(args, moto_credentials=True, **kw)

    def test_default_vpc(self):
        r = self.run_moto(["run", kf.script_path("describe_vpcs.lua"), "--output", "-"])
        self.assertExit(r, 0)
        self.assertNoSecret(r)
        data = self.assertJsonStdout(r)
        vpcs = as_list(data.get("vpcs"))
        self.assertIsInstance(vpcs, list, "vpcSet must decode to a JSON array\n" + self.describe(*r))

        expected = self.moto.ec2.describe_vpcs()["Vpcs"]
        default_ids = [v["VpcId"] for v in expected if v["IsDefault"]]
        self.assertEqual(len(default_ids), 1, "moto should have one default VPC")
        self.assertEqual(sorted(v.get("vpcId") for v in vpcs), sorted(v["VpcId"] for v in expected))
        mine = [v for v in vpcs if v.get("vpcId") == default_ids[0]]
        self.assertEqual(len(mine), 1)
        self.assertTrue(is_true(mine[0].get("isDefault")), "isDefault of %r" % mine[0])
        expected_default = [v for v in expected if v["IsDefault"]][0]
        self.assertEqual(mine[0].get("cidrBlock"), expected_default["CidrBlock"])

    def test_filter_by_name_tag(self):
        name = "kumo-it-%s" % uuid.uuid4().hex[:8]
        ec2 = self.moto.ec2
        wanted = ec2.create_vpc(
            CidrBlock="10.42.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}],
        )["Vpc"]["VpcId"]
        other = ec2.create_vpc(
            CidrBlock="10.43.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name + "-other"}]}],
        )["Vpc"]["VpcId"]
        self.addCleanup(ec2.delete_vpc, VpcId=wanted)
        self.addCleanup(ec2.delete_vpc, VpcId=other)

        with kf.RecordingProxy(self.moto.port) as proxy:
            r = self.run_moto(
                ["run", kf.script_path("vpcs_by_name.lua"), "--var", "name=" + name, "--output", "-"],
                endpoint=proxy.endpoint,
            )
        self.assertExit(r, 0)
        self.assertNoSecret(r)
        vpcs = as_list(self.assertJsonStdout(r).get("vpcs"))
        self.assertEqual([v.get("vpcId") for v in vpcs], [wanted], self.describe(*r))
        tags = as_list(vpcs[0].get("tagSet"))
        self.assertIn({"key": "Name", "value": name}, tags)

        # What was sent: one POST with the EC2 way of flattening the filter.
        self.assertEqual(len(proxy.requests), 1, [q["body"] for q in proxy.requests])
        sent = proxy.requests[0]
        self.assertEqual(sent["method"], "POST")
        form = urllib.parse.parse_qs(sent["body"], keep_blank_values=True)
        self.assertEqual(form.get("Action"), ["DescribeVpcs"])
        self.assertIn("Version", form)
        self.assertEqual(form.get("Filter.1.Name"), ["tag:Name"])
        self.assertEqual(form.get("Filter.1.Value.1"), [name])
        self.assertTrue(sent["headers"].get("authorization", "").startswith("AWS4-HMAC-SHA256 "))
        self.assertIn("/us-east-1/ec2/aws4_request", sent["headers"]["authorization"])

    def test_endpoint_from_env(self):
        r = kf.run_kumo(
            ["run", kf.script_path("describe_vpcs.lua"), "--output", "-"],
            moto_credentials=True,
            env_extra={"AWS_ENDPOINT_URL_EC2": self.moto.endpoint},
        )
        self.assertExit(r, 0)
        vpcs = as_list(self.assertJsonStdout(r).get("vpcs"))
        self.assertTrue(any(is_true(v.get("isDefault")) for v in vpcs), self.describe(*r))

    def test_verbose_one_line_per_exchange(self):
        with kf.RecordingProxy(self.moto.port) as proxy:
            r = self.run_moto(["run", kf.script_path("two_calls.lua"), "-v", "--output", "-"], endpoint=proxy.endpoint)
        self.assertExit(r, 0)
        self.assertNoSecret(r)
        self.assertIsInstance(self.assertJsonStdout(r), dict)
        self.assertEqual(len(proxy.requests), 2, "two_calls.lua makes exactly two requests")

        lines = http_lines(r[2])
        self.assertEqual(len(lines), 2, "expected one -v line per HTTP exchange\n" + self.describe(*r))
        for line, action in zip(lines, ("DescribeVpcs", "DescribeSecurityGroups")):
            self.assertRegex(line, r"\b%s\b" % action, "the -v line names the action")
            self.assertRegex(line, r"\b200\b", "the -v line gives the HTTP status")
            self.assertRegex(line, MS_RE, "the -v line gives milliseconds")
            self.assertEqual(ATTEMPT_RE.search(line).group(1), "1", "first attempt: %r" % line)

    def test_no_verbose_lines_without_v(self):
        r = self.run_moto(["run", kf.script_path("describe_vpcs.lua"), "--output", "-"])
        self.assertExit(r, 0)
        self.assertEqual(http_lines(r[2]), [], "HTTP lines only with -v\n" + self.describe(*r))


class ErrorTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.moto = kf.moto()

    def test_caught_error_fields(self):
        r = kf.run_kumo(
            ["run", kf.script_path("catch_error.lua"), "--endpoint", self.moto.endpoint, "--output", "-"],
            moto_credentials=True,
        )
        self.assertExit(r, 0)
        self.assertNoSecret(r)
        e = self.assertJsonStdout(r)
        self.assertIs(e.get("ok"), False)
        self.assertIs(e.get("is_table"), True, "the error value must be a kumo.Error table")
        self.assertEqual(e.get("code"), "InvalidGroup.NotFound")
        self.assertEqual(e.get("kind"), "aws")
        self.assertEqual(e.get("http_status"), 400)
        self.assertEqual(e.get("operation"), "DescribeSecurityGroups")
        self.assertIsInstance(e.get("attempts"), int)
        self.assertGreaterEqual(e["attempts"], 1)
        self.assertIsInstance(e.get("message"), str)
        self.assertIn("sg-0123456789abcdef0", e["message"])
        self.assertIn("InvalidGroup.NotFound", e.get("text", ""))
        self.assertIsInstance(e.get("request_id"), str, "moto sends a RequestID")
        self.assertTrue(e["request_id"])
        # Same request id as boto3 reads from moto's answer to the same call.
        import botocore.exceptions

        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.moto.ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"])
        self.assertEqual(e["request_id"], cm.exception.response["ResponseMetadata"]["RequestId"])

    def test_uncaught_aws_error_exits_1(self):
        r = kf.run_kumo(
            ["run", kf.script_path("uncaught_error.lua"), "--endpoint", self.moto.endpoint, "--output", "-"],
            moto_credentials=True,
        )
        self.assertExit(r, 1)
        self.assertNoSecret(r)
        rc, out, err = r
        self.assertIn("InvalidGroup.NotFound", err)
        self.assertIn("sg-0123456789abcdef0", err, "stderr carries the AWS message")
        self.assertIn("DescribeSecurityGroups", err, "stderr names the operation")
        self.assertNotIn("reached", out)


if __name__ == "__main__":
    kf.main()
