"""test_fixture - checks the moto fixture itself, without kumo: moto starts,
the bootstrap user works, signature checking is really on after the 4 free
requests, the kumo environment is isolated, and stop() leaves no process.
(ctest: integration.fixture)
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402


def setUpModule():
    kf.start_moto()


def tearDownModule():
    kf.stop_moto()


class FixtureTest(unittest.TestCase):
    def setUp(self):
        self.moto = kf.moto()

    def test_bootstrap_user_can_call_ec2(self):
        vpcs = self.moto.ec2.describe_vpcs()["Vpcs"]
        self.assertEqual(len([v for v in vpcs if v["IsDefault"]]), 1)
        self.assertTrue(self.moto.access_key_id.startswith("AKIA"))
        self.assertTrue(self.moto.endpoint.startswith("http://127.0.0.1:"))

    def test_wrong_secret_is_rejected(self):
        import botocore.exceptions

        bad = self.moto.client("ec2", secret_access_key="x" * 40)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            bad.describe_vpcs()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AuthFailure")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 401)

    def test_unknown_key_is_rejected(self):
        import botocore.exceptions

        bad = self.moto.client("ec2", access_key_id="AKIAUNKNOWNKEY000000", secret_access_key="x" * 40)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            bad.describe_vpcs()
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 401)

    def test_unsigned_request_is_rejected(self):
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.moto.port, timeout=10)
        self.addCleanup(conn.close)
        conn.request(
            "POST", "/", body="Action=DescribeVpcs&Version=2016-11-15",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        resp = conn.getresponse()
        resp.read()
        # moto answers 500 (HTML) to a request without Authorization once checking is on.
        self.assertGreaterEqual(resp.status, 400)

    def test_kumo_env_is_isolated(self):
        os.environ["AWS_PROFILE"] = "leak-check"
        self.addCleanup(os.environ.pop, "AWS_PROFILE", None)
        env = kf.kumo_env()
        self.assertNotIn("AWS_PROFILE", env)
        self.assertNotIn("AWS_ACCESS_KEY_ID", env)
        self.assertEqual(env["AWS_EC2_METADATA_DISABLED"], "true")
        self.assertFalse(os.path.exists(env["AWS_CONFIG_FILE"]))
        self.assertFalse(os.path.exists(env["AWS_SHARED_CREDENTIALS_FILE"]))
        self.assertTrue(env["HOME"].startswith(os.path.dirname(env["AWS_CONFIG_FILE"])))
        env = kf.kumo_env(moto_credentials=True, env_extra={"AWS_CONFIG_FILE": None, "X_EXTRA": "1"})
        self.assertEqual(env["AWS_ACCESS_KEY_ID"], self.moto.access_key_id)
        self.assertEqual(env["AWS_SECRET_ACCESS_KEY"], self.moto.secret_access_key)
        self.assertEqual(env["AWS_REGION"], "us-east-1")
        self.assertNotIn("AWS_CONFIG_FILE", env)
        self.assertEqual(env["X_EXTRA"], "1")

    def test_closed_port_refuses(self):
        port = kf.closed_port()
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0)

    def test_stop_kills_the_server(self):
        other = kf.Moto().start()
        pid, port = other.proc.pid, other.port
        other.stop()
        self.assertFalse(other.running())
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0)


if __name__ == "__main__":
    kf.main()
