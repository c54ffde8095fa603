"""test_faults - the bundled job (scripts/zenn_clone_sg.lua) through a
fault-injecting proxy (fault_proxy.py) in front of moto with signature
checking on.

* Transient faults (each twice, so the third and last attempt succeeds): 503
  RequestLimitExceeded, a 500 HTML page, a reset connection, a truncated body,
  an answer slower than kumo's timeout. The job completes and boto3 finds
  exactly the two groups and three rules.
* Persistent faults: exit 1, stderr names the code and "after N attempts"
  (N = the maximum: 3, or AWS_MAX_ATTEMPTS), what was already created is
  reported, and a re-run without faults converges (same ids, groups complete).
* No secret key, session token or signature recorded by the proxy appears in
  any output, with no flag, -q and -v.

kumo's timeout is shortened with KUMO_HTTP_TIMEOUT_MS so that "slower than the
timeout" is quick; the backoff is the real formula.
"""

import os
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402
from test_zenn_clone_sg import rule_set, ALL_TRAFFIC_OUT  # noqa: E402

SCRIPT = os.path.join(kf.SOURCE_DIR, "scripts", "zenn_clone_sg.lua")
TIMEOUT_MS = 1500  # kumo's per-exchange timeout in these tests
SLOW_S = 2.5  # the "slow" fault holds the answer this long
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def setUpModule():
    global MOTO, PROXY
    MOTO = kf.start_moto()
    PROXY = FaultProxy(int(MOTO.endpoint.rsplit(":", 1)[1]), slow_s=SLOW_S)


def tearDownModule():
    PROXY.stop()
    kf.stop_moto()


class FaultsTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        PROXY.clear()
        self.ec2 = MOTO.ec2
        self.prefix = "f" + uuid.uuid4().hex[:10]
        self.backend_name = self.prefix + "-ecs-backend-security-group"
        self.rds_name = self.prefix + "-rds-security-group"
        self.vpc_id = self.ec2.create_vpc(
            CidrBlock="10.0.0.0/16",
            TagSpecifications=[
                {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": self.prefix + "-vpc"}]}
            ],
        )["Vpc"]["VpcId"]

    # ---- helpers ------------------------------------------------------------

    def run_job(self, *flags, env=None):
        extra = {"KUMO_HTTP_TIMEOUT_MS": str(TIMEOUT_MS)}
        extra.update(env or {})
        args = ["run", SCRIPT, "--var", "prefix=" + self.prefix, "--output", "-",
                "--endpoint", PROXY.endpoint] + list(flags)
        return kf.run_kumo(args, env_extra=extra, moto_credentials=True, timeout=60)

    def assert_complete(self, ids):
        groups = {
            g["GroupName"]: g
            for g in self.ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}]
            )["SecurityGroups"]
        }
        self.assertEqual(set(groups), {"default", self.backend_name, self.rds_name})
        backend, rds = groups[self.backend_name], groups[self.rds_name]
        self.assertEqual(ids, {
            "vpc_id": self.vpc_id,
            "ecs_backend_security_group_id": backend["GroupId"],
            "rds_security_group_id": rds["GroupId"],
        })
        self.assertEqual(rule_set(backend["IpPermissions"]), {
            ("tcp", 80, 80, "cidr", "0.0.0.0/0"),
            ("tcp", 80, 80, "cidr", "::/0"),
        })
        self.assertEqual(rule_set(rds["IpPermissions"]),
                         {("tcp", 3306, 3306, "group", backend["GroupId"])})
        for g in (backend, rds):
            self.assertEqual(rule_set(g["IpPermissionsEgress"]), set(ALL_TRAFFIC_OUT))
        rules = self.ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [backend["GroupId"], rds["GroupId"]]}]
        )["SecurityGroupRules"]
        self.assertEqual(len([r for r in rules if not r["IsEgress"]]), 3)

    def assert_attempt_headers(self, action, fault, stderr):
        """The faulted exchanges of `action` and the success after them are one
        call: one invocation id, attempt=1, 2, ... (libcurl may resend a request
        once by itself when a reused connection turns out dead: the same attempt
        twice), one -v retry line per attempt after the first."""
        sent = [r for r in PROXY.requests if r["action"] == action]
        first = next(i for i, r in enumerate(sent) if r["fault"] == fault)
        call_id = sent[first]["headers"]["amz-sdk-invocation-id"]
        self.assertRegex(call_id, UUID4)
        call = [r for r in sent if r["headers"]["amz-sdk-invocation-id"] == call_id]
        self.assertEqual([r["fault"] for r in call], [fault, fault, None])
        attempts = []
        for r in call:
            self.assertIn("Signature=", r["headers"]["authorization"])
            self.assertIn("x-amz-date", r["headers"])
            m = re.search(r"(?:^|; )attempt=(\d+); max=3$", r["headers"]["amz-sdk-request"])
            self.assertTrue(m, r["headers"]["amz-sdk-request"])
            attempts.append(int(m.group(1)))
        self.assertEqual(attempts[0], 1)
        self.assertEqual(sorted(set(attempts)), list(range(1, attempts[-1] + 1)))
        if fault != "reset":
            self.assertEqual(attempts, [1, 2, 3])
        retries = re.findall(r"\bretry %s after " % action, stderr)
        self.assertEqual(len(retries), attempts[-1] - 1, stderr)

    def assert_no_secret_or_signature(self, result, *extra_secrets):
        sigs = kf.signatures_of(PROXY.requests)
        self.assertTrue(sigs)
        self.assertNoSecret(result, MOTO.secret_access_key, *extra_secrets, *sigs)

    # ---- transient faults: the job completes ---------------------------------

    def transient(self, fault, action="CreateSecurityGroup"):
        PROXY.add(fault, action=action, times=2)
        started = time.monotonic()
        result = self.run_job("-v")
        self.assertExit(result, 0)
        self.assert_complete(self.assertJsonStdout(result))
        self.assertEqual(PROXY.faults_injected(), [(action, fault)] * 2)
        self.assert_attempt_headers(action, fault, result[2])
        self.assert_no_secret_or_signature(result)
        kf.log("%s x2 on %s: %.1f s" % (fault, action, time.monotonic() - started))

    def test_throttled_twice(self):
        self.transient("throttle")

    def test_html_500_twice(self):
        self.transient("html500", action="AuthorizeSecurityGroupIngress")

    def test_reset_twice(self):
        self.transient("reset", action="DescribeSecurityGroups")

    def test_truncated_twice(self):
        self.transient("truncate")

    def test_slow_twice(self):
        self.transient("slow", action="AuthorizeSecurityGroupIngress")

    # ---- persistent faults: a clean failure, then a converging re-run -------

    def test_persistent_throttle_then_rerun_converges(self):
        # the first group is created; creating the second is throttled for ever
        PROXY.add("throttle", action="CreateSecurityGroup", skip=1, times=None)
        rc, out, err = result = self.run_job()
        self.assertExit(result, 1)
        self.assertEqual(out.strip(), "")
        self.assertIn("RequestLimitExceeded", err)
        self.assertIn("CreateSecurityGroup", err)
        self.assertIn("after 3 attempts", err)
        self.assertIn("created " + self.backend_name, err)  # nothing half-done unreported
        self.assertEqual(PROXY.faults_injected(), [("CreateSecurityGroup", "throttle")] * 3)
        self.assert_no_secret_or_signature(result)
        backend_id = self.ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [self.backend_name]}]
        )["SecurityGroups"][0]["GroupId"]

        PROXY.clear()
        result = self.run_job()
        self.assertExit(result, 0)
        ids = self.assertJsonStdout(result)
        self.assertEqual(ids["ecs_backend_security_group_id"], backend_id)
        self.assert_complete(ids)
        self.assertIn("unchanged " + self.backend_name, result[2])
        self.assertIn("created " + self.rds_name, result[2])

    def test_persistent_reset_honours_aws_max_attempts(self):
        PROXY.add("reset", action="DescribeVpcs", times=None)
        rc, out, err = result = self.run_job(env={"AWS_MAX_ATTEMPTS": "2"})
        self.assertExit(result, 1)
        self.assertIn("TransportFailed", err)
        self.assertIn("DescribeVpcs", err)
        self.assertIn("after 2 attempts", err)
        self.assertEqual(PROXY.faults_injected(), [("DescribeVpcs", "reset")] * 2)
        self.assertEqual(PROXY.requests[-1]["headers"]["amz-sdk-request"], "attempt=2; max=2")
        self.assertEqual(
            [g["GroupName"] for g in self.ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])["SecurityGroups"]],
            ["default"])

    def test_persistent_timeout(self):
        PROXY.add("slow", action="DescribeVpcs", times=None)
        rc, out, err = result = self.run_job(env={"AWS_MAX_ATTEMPTS": "2"})
        self.assertExit(result, 1)
        self.assertIn("Timeout", err)
        self.assertIn("after 2 attempts", err)

    # ---- no secret anywhere, at every verbosity -----------------------------

    def test_no_secret_at_any_verbosity(self):
        for flags in ((), ("-q",), ("-v",)):
            with self.subTest(flags=flags):
                PROXY.clear()
                PROXY.add("throttle", action="DescribeVpcs", times=1)
                PROXY.add("reset", action="DescribeSecurityGroups", times=1)
                PROXY.add("html500", action="CreateSecurityGroup", times=1)
                PROXY.add("truncate", action="AuthorizeSecurityGroupIngress", times=1)
                result = self.run_job(*flags)
                self.assertExit(result, 0)
                self.assert_complete(self.assertJsonStdout(result))
                # the first run meets all four faults; re-runs only describe
                self.assertGreaterEqual(len(PROXY.faults_injected()), 2)
                if flags == ("-v",):
                    self.assertIn("retry DescribeVpcs after RequestLimitExceeded in ", result[2])
                self.assert_no_secret_or_signature(result)

    def test_no_session_token_at_any_verbosity(self):
        # moto refuses a session token it did not issue (AuthFailure), so every
        # request is answered by the proxy: throttled until kumo gives up.
        token = "FwoGZXIvYXdzEKumoTestSessionToken/" + uuid.uuid4().hex + "+x=="
        for flags in ((), ("-q",), ("-v",)):
            with self.subTest(flags=flags):
                PROXY.clear()
                PROXY.add("throttle", times=None)
                result = self.run_job(*flags, env={"AWS_SESSION_TOKEN": token})
                self.assertExit(result, 1)
                self.assertIn("RequestLimitExceeded", result[2])
                self.assertIn("after 3 attempts", result[2])
                self.assertEqual(len(PROXY.requests), 3)
                for r in PROXY.requests:
                    self.assertEqual(r["headers"].get("x-amz-security-token"), token)
                    self.assertIn("x-amz-security-token", r["headers"]["authorization"])
                self.assert_no_secret_or_signature(result, token)


if __name__ == "__main__":
    kf.main()
