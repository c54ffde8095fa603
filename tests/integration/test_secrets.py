"""test_secrets - authentication failures and secret hygiene against a
signature-checking moto: a wrong secret is an AuthFailure (exit 1) and neither
the secret nor the request signature ever appears in kumo's output, with or
without -v. Requests are recorded through a loopback proxy so the exact
signatures kumo sent can be looked for. (ctest: integration.secrets)
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402

AUTH_MESSAGE = "AWS was not able to validate the provided access credentials"


def setUpModule():
    kf.start_moto()


def tearDownModule():
    kf.stop_moto()


def wrong_secret(real):
    """Same length and alphabet as the real secret, different content."""
    flipped = "".join(chr(ord(c) + 1) if c.isalnum() and c not in "zZ9" else c for c in real)
    assert flipped != real
    return flipped


class SecretTest(kf.KumoTestCase):
    def setUp(self):
        super().setUp()
        self.moto = kf.moto()

    def run_via_proxy(self, extra_args, env_extra=None):
        with kf.RecordingProxy(self.moto.port) as proxy:
            r = kf.run_kumo(
                ["run", kf.script_path("describe_vpcs.lua"), "--endpoint", proxy.endpoint, "--output", "-"]
                + list(extra_args),
                moto_credentials=True,
                env_extra=env_extra,
            )
        return r, proxy.requests

    def assertNothingLeaks(self, r, requests, *secrets):
        rc, out, err = r
        sigs = kf.signatures_of(requests)
        self.assertTrue(sigs, "kumo sent no signed request: %r" % requests)
        self.assertNoSecret(r, *secrets)
        for sig in sigs:
            self.assertNotIn(sig, out, "the request signature appears on stdout")
            self.assertNotIn(sig, err, "the request signature appears on stderr\n" + self.describe(*r))
        for q in requests:
            self.assertNotIn(q["headers"]["authorization"], err)
        self.assertNotRegex(err, r"Signature=[0-9a-fA-F]{16,}", "an unredacted Signature= on stderr")

    def test_wrong_secret_is_auth_failure(self):
        real = self.moto.secret_access_key
        bad = wrong_secret(real)
        for verbose in ([], ["-v"]):
            with self.subTest(verbose=bool(verbose)):
                r, requests = self.run_via_proxy(verbose, env_extra={"AWS_SECRET_ACCESS_KEY": bad})
                self.assertExit(r, 1)
                rc, out, err = r
                self.assertIn("AuthFailure", err, self.describe(*r))
                self.assertIn(AUTH_MESSAGE, err, "stderr carries the AWS message")
                self.assertIn("DescribeVpcs", err, "stderr names the operation")
                self.assertEqual(out.strip(), "", "no JSON on failure")
                self.assertTrue(all(q["status"] == 401 for q in requests), [q["status"] for q in requests])
                if verbose:
                    lines = kf.http_lines(err)
                    self.assertEqual(len(lines), len(requests), "one -v line per exchange\n" + self.describe(*r))
                    for line in lines:
                        self.assertIn("DescribeVpcs", line)
                        self.assertRegex(line, r"\b401\b")
                else:
                    self.assertEqual(kf.http_lines(err), [], "HTTP lines only with -v")
                # The key id went out; the (wrong) secret and the real one appear nowhere.
                self.assertIn(self.moto.access_key_id, requests[0]["headers"]["authorization"])
                self.assertNothingLeaks(r, requests, bad, real)

    def test_verbose_success_hides_secret_and_signature(self):
        r, requests = self.run_via_proxy(["-v"])
        self.assertExit(r, 0)
        self.assertIsInstance(self.assertJsonStdout(r), dict)
        self.assertEqual([q["status"] for q in requests], [200])
        self.assertNothingLeaks(r, requests, self.moto.secret_access_key)
        # -v did print something about the exchange.
        self.assertIn("DescribeVpcs", r[2])

    def test_signature_checking_really_applies(self):
        """The fixture's moto rejects a bad signature for boto3 too (the suite is not vacuous)."""
        import botocore.exceptions

        bad = self.moto.client("ec2", secret_access_key=wrong_secret(self.moto.secret_access_key))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            bad.describe_vpcs()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AuthFailure")

    def test_no_content_sha256_header_to_ec2(self):
        """AWS-FACTS 5: kumo must not send x-amz-content-sha256 to EC2 (moto then skips the body check)."""
        r, requests = self.run_via_proxy([])
        self.assertExit(r, 0)
        for q in requests:
            self.assertNotIn("x-amz-content-sha256", q["headers"], "header sent: %r" % q["headers"])
            signed = re.search(r"SignedHeaders=([^,\s]+)", q["headers"]["authorization"]).group(1).split(";")
            self.assertIn("host", signed)
            self.assertIn("x-amz-date", signed)


if __name__ == "__main__":
    kf.main()
