"""test_config_errors - region, credentials, profile and endpoint resolution
of the `kumo` command, against a signature-checking moto: the errors when
something is missing (exit 1, with what to set), and shared credentials/config
files and AWS_PROFILE that work. (ctest: integration.config_errors)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402


def setUpModule():
    kf.start_moto()


def tearDownModule():
    kf.stop_moto()


class ConfigTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.moto = kf.moto()
        self.script = kf.script_path("describe_vpcs.lua")

    def credentials_file(self, profile="dev"):
        return self.write_file(
            "credentials",
            """\
            [unrelated]
            aws_access_key_id = AKIAUNRELATEDEXAMPLE
            aws_secret_access_key = unrelated-secret-not-used

            [%s]
            aws_access_key_id = %s
            aws_secret_access_key = %s
            """
            % (profile, self.moto.access_key_id, self.moto.secret_access_key),
        )

    def config_file(self, profile="dev", region="us-east-1"):
        return self.write_file(
            "config",
            """\
            [default]
            output = json

            [profile %s]
            region = %s
            """
            % (profile, region),
        )

    def assertDefaultVpc(self, r):
        self.assertExit(r, 0)
        self.assertNoSecret(r)
        data = self.assertJsonStdout(r)
        vpcs = data.get("vpcs") or []
        expected = [v["VpcId"] for v in self.moto.ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
        got = [v.get("vpcId") for v in vpcs if v.get("isDefault") in (True, "true")]
        self.assertEqual(got, expected, self.describe(*r))

    # ---- errors

    def test_no_region(self):
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--output", "-"],
            env_extra={
                "AWS_ACCESS_KEY_ID": self.moto.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.moto.secret_access_key,
            },
        )
        self.assertExit(r, 1)
        self.assertNoSecret(r)
        rc, out, err = r
        self.assertEqual(out.strip(), "")
        self.assertRegex(err, r"--region|AWS_REGION", "stderr must say how to set a region\n" + self.describe(*r))

    def test_no_credentials(self):
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--output", "-"],
            env_extra={"AWS_REGION": "us-east-1"},
        )
        self.assertExit(r, 1)
        rc, out, err = r
        self.assertEqual(out.strip(), "")
        self.assertRegex(
            err, r"AWS_ACCESS_KEY_ID|(?i:profile)", "stderr must say what to set\n" + self.describe(*r)
        )

    def test_unknown_profile(self):
        creds = self.credentials_file()
        config = self.config_file()
        cases = {
            "no files": {},
            "files without it": {"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": config},
        }
        for label, files in cases.items():
            with self.subTest(case=label):
                env = {"AWS_REGION": "us-east-1"}
                env.update(files)
                r = kf.run_kumo(
                    ["run", self.script, "--endpoint", self.moto.endpoint, "--profile", "nope", "--output", "-"],
                    env_extra=env,
                )
                self.assertExit(r, 1)
                self.assertNoSecret(r)
                self.assertIn("nope", r[2], "stderr must name the missing profile\n" + self.describe(*r))

    def test_unknown_profile_from_env(self):
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--output", "-"],
            env_extra={"AWS_REGION": "us-east-1", "AWS_PROFILE": "nope-env",
                       "AWS_SHARED_CREDENTIALS_FILE": self.credentials_file()},
        )
        self.assertExit(r, 1)
        self.assertIn("nope-env", r[2], self.describe(*r))

    # ---- working configurations

    def test_profile_from_shared_credentials_file(self):
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--profile", "dev", "--output", "-"],
            env_extra={"AWS_REGION": "us-east-1", "AWS_SHARED_CREDENTIALS_FILE": self.credentials_file()},
        )
        self.assertDefaultVpc(r)

    def test_region_from_config_profile(self):
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--profile", "dev", "--output", "-"],
            env_extra={
                "AWS_SHARED_CREDENTIALS_FILE": self.credentials_file(),
                "AWS_CONFIG_FILE": self.config_file(),
            },
        )
        self.assertDefaultVpc(r)

    def test_aws_profile_env(self):
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--output", "-"],
            env_extra={
                "AWS_PROFILE": "dev",
                "AWS_SHARED_CREDENTIALS_FILE": self.credentials_file(),
                "AWS_CONFIG_FILE": self.config_file(),
            },
        )
        self.assertDefaultVpc(r)

    def test_region_flag_overrides_env(self):
        # A bogus env region would be signed into the scope; moto accepts any region,
        # so check the flag by looking at what was signed.
        with kf.RecordingProxy(self.moto.port) as proxy:
            r = kf.run_kumo(
                ["run", self.script, "--endpoint", proxy.endpoint, "--region", "eu-west-1", "--output", "-"],
                moto_credentials=True,
            )
        self.assertExit(r, 0)
        self.assertNoSecret(r)
        self.assertTrue(proxy.requests)
        self.assertIn("/eu-west-1/ec2/aws4_request", proxy.requests[0]["headers"]["authorization"])

    def test_endpoint_from_aws_endpoint_url_ec2(self):
        r = kf.run_kumo(
            ["run", self.script, "--output", "-"],
            moto_credentials=True,
            env_extra={"AWS_ENDPOINT_URL_EC2": self.moto.endpoint},
        )
        self.assertDefaultVpc(r)

    def test_endpoint_flag_beats_env(self):
        dead = "http://127.0.0.1:%d" % kf.closed_port()
        r = kf.run_kumo(
            ["run", self.script, "--endpoint", self.moto.endpoint, "--output", "-"],
            moto_credentials=True,
            env_extra={"AWS_ENDPOINT_URL_EC2": dead, "AWS_ENDPOINT_URL": dead},
        )
        self.assertDefaultVpc(r)


if __name__ == "__main__":
    kf.main()
