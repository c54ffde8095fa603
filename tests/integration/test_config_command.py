"""test_config_command - `kumo config`: what a run would use and where each
value came from, for the flags and environment given, and never a secret.
(ctest: integration.config_command)
"""

import json
import os
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN/+="


class ConfigCommandTest(kf.KumoTestCase):
    def config(self, *args, env=None):
        return kf.run_kumo(["config"] + list(args), env_extra=env or {})

    def config_json(self, *args, env=None):
        rc, out, err = self.config("--json", *args, env=env)
        return rc, json.loads(out), err

    def test_environment_credentials_and_sources(self):
        env = {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": KEY_ID,
               "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
        rc, report, err = self.config_json(env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(report["region"], {"value": "eu-west-1", "source": "AWS_REGION"})
        self.assertEqual(report["endpoint"]["value"], "https://ec2.eu-west-1.amazonaws.com")
        self.assertEqual(report["credentials"]["source"], "environment")
        self.assertTrue(report["credentials"]["value"].endswith("MPLE"))
        self.assertNotIn(KEY_ID, report["credentials"]["value"])
        self.assertTrue(report["credentials"]["temporary"])
        self.assertEqual(report["retry_mode"]["value"], "standard")
        self.assertEqual(report["max_attempts"]["value"], "3")
        text = self.config(env=env)
        self.assertExit(text, 0)
        self.assertRegex(text[1], r"region\s+eu-west-1\s+AWS_REGION")
        for result in (text, (rc, json.dumps(report), err)):
            self.assertNoSecret(result, SECRET, TOKEN, KEY_ID)

    def test_flags_win_and_retry_settings_show_their_source(self):
        env = {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": KEY_ID,
               "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_RETRY_MODE": "adaptive",
               "AWS_MAX_ATTEMPTS": "5", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:9"}
        rc, report, err = self.config_json("--region", "ap-northeast-1", env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(report["region"], {"value": "ap-northeast-1", "source": "--region"})
        self.assertEqual(report["endpoint"]["value"], "http://127.0.0.1:9")
        self.assertEqual(report["endpoint"]["source"], "AWS_ENDPOINT_URL_EC2")
        self.assertEqual(report["retry_mode"], {"value": "adaptive", "source": "AWS_RETRY_MODE"})
        self.assertEqual(report["max_attempts"], {"value": "5", "source": "AWS_MAX_ATTEMPTS"})

    def test_profile_files_and_credential_process(self):
        script = self.write_file("creds.sh", """#!/bin/sh
            echo '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'
        """ % (KEY_ID, SECRET))
        os.chmod(script, stat.S_IRWXU)
        config = self.write_file("config", """
            [profile dev]
            region = us-west-2
            retry_mode = legacy

            [profile tool]
            region = us-east-2
            credential_process = %s
        """ % script)
        credentials = self.write_file("credentials", """
            [dev]
            aws_access_key_id = %s
            aws_secret_access_key = %s
        """ % (KEY_ID, SECRET))
        env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
        rc, report, err = self.config_json("--profile", "dev", env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(report["profile"], {"value": "dev", "source": "--profile"})
        self.assertEqual(report["region"]["source"], "profile dev in " + config)
        self.assertIn("profile dev in " + credentials, report["credentials"]["source"])
        self.assertEqual(report["retry_mode"]["value"], "legacy")
        self.assertEqual(report["max_attempts"]["value"], "5")
        rc, report, err = self.config_json("--profile", "tool", env=env)
        self.assertEqual(rc, 0, err)
        self.assertIn("credential_process", report["credentials"]["source"])
        text = self.config("--profile", "tool", env=env)
        self.assertExit(text, 0)
        self.assertNoSecret(text, SECRET, KEY_ID)

    def test_problems_are_explained_with_exit_1(self):
        rc, out, err = self.config()
        self.assertEqual(rc, 1)
        self.assertIn("AWS_REGION", out)
        rc, report, err = self.config_json(env={"AWS_REGION": "us-east-1"})
        self.assertEqual(rc, 1)
        self.assertIn("AWS_ACCESS_KEY_ID", report["credentials"]["error"])
        rc, out, err = self.config("--profile", "nope", env={"AWS_REGION": "us-east-1"})
        self.assertEqual(rc, 1)
        self.assertIn("nope", out)

    def test_sandbox(self):
        rc, report, err = self.config_json("--sandbox")
        self.assertEqual(rc, 0, err)
        self.assertEqual(report["region"]["value"], "us-east-1")
        self.assertEqual(report["credentials"]["source"], "the sandbox's own")


if __name__ == "__main__":
    kf.main()
