"""tests/integration/test_credentials.py - the credential chain end to end:
`kumo run` of a script that calls ec2.call("DescribeVpcs") against a
signature-checking moto, with the credentials coming from

* a fake IMDSv2 server and a fake container endpoint on 127.0.0.1
  (tests/integration/fakes/credential_servers.py) serving the moto user's
  keys, including their failure modes (wrong token -> 401, no role, 404,
  slow beyond the timeout, bad JSON);
* credential_process scripts that succeed, fail, and print bad JSON;
* STS AssumeRole against a SEPARATE moto bootstrapped with a user allowed
  only sts:AssumeRole and a role allowed ec2:* (the user's own keys are
  denied EC2; the role's work; boto3 checks the result).

Every run asserts that no secret key, session token or metadata token
appears in kumo's stdout or stderr, also with -v.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "fakes"))

import kumo_fixture  # noqa: E402
from kumo_fixture import KumoTestCase, moto  # noqa: E402
from credential_servers import FakeContainer, FakeIMDS  # noqa: E402

DESCRIBE = 'local r = ec2.call("DescribeVpcs")\nreturn { vpcs = #r.vpcSet }\n'
# moto refuses a session token with a user's AKIA key, so the fakes serve none.
SESSION_TOKEN = ""


def setUpModule():
    kumo_fixture.start_moto()


def tearDownModule():
    kumo_fixture.stop_moto()


class ChainCase(KumoTestCase):
    """Runs DESCRIBE against moto with only the given credential settings."""

    def run_describe(self, env, args=(), verbose=False):
        script = self.write_script(DESCRIBE)
        base = {"AWS_REGION": moto().region, "AWS_ENDPOINT_URL": moto().endpoint}
        base.update(env)
        argv = ["run", script, "--output", "-"] + list(args) + (["-v"] if verbose else [])
        result = self.run_kumo(argv, env_extra=base, timeout=60)
        self.assertNoSecret(result, moto().secret_access_key, SESSION_TOKEN, FakeIMDS.TOKEN,
                            "container-auth-token-secret")
        return result

    def assertWorks(self, env, args=()):
        for verbose in (False, True):
            result = self.run_describe(env, args, verbose)
            self.assertExit(result, 0)
            self.assertIn("vpcs", self.assertJsonStdout(result))

    def assertFailsWith(self, env, *parts, args=()):
        for verbose in (False, True):
            rc, out, err = result = self.run_describe(env, args, verbose)
            self.assertExit(result, 1)
            for part in parts:
                self.assertIn(part, err, self.describe(rc, out, err))


class InstanceMetadata(ChainCase):
    def setUp(self):
        super().setUp()
        self.imds = FakeIMDS(moto().access_key_id, moto().secret_access_key, SESSION_TOKEN)
        self.addCleanup(self.imds.stop)
        self.env = {"AWS_EC2_METADATA_DISABLED": "false",
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.imds.endpoint}

    def test_credentials_from_imdsv2(self):
        self.assertWorks(self.env)
        first = self.imds.requests[:3]
        self.assertEqual([(r["method"], r["path"]) for r in first], [
            ("PUT", "/latest/api/token"),
            ("GET", "/latest/meta-data/iam/security-credentials/"),
            ("GET", "/latest/meta-data/iam/security-credentials/" + FakeIMDS.ROLE)])
        self.assertEqual(first[0]["headers"]["x-aws-ec2-metadata-token-ttl-seconds"], "21600")
        for r in first[1:]:
            self.assertEqual(r["headers"]["x-aws-ec2-metadata-token"], FakeIMDS.TOKEN)

    def test_wrong_token_is_401(self):
        self.imds.mode = "reject_token"
        self.assertFailsWith(self.env, "no AWS credentials", "HTTP 401")

    def test_no_role(self):
        self.imds.mode = "no_role"
        self.assertFailsWith(self.env, "security-credentials/: HTTP 404")

    def test_bad_json_and_not_success(self):
        self.imds.mode = "bad_json"
        self.assertFailsWith(self.env, "not JSON")
        self.imds.mode = "not_success"
        self.assertFailsWith(self.env, "not 'Success'")

    def test_slow_beyond_timeout(self):
        self.imds.mode = "slow"
        self.imds.delay_s = 3.0
        env = dict(self.env, AWS_METADATA_SERVICE_TIMEOUT="1")
        self.assertFailsWith(env, "instance metadata at " + self.imds.endpoint)

    def test_disabled(self):
        env = dict(self.env, AWS_EC2_METADATA_DISABLED="true")
        self.assertFailsWith(env, "disabled by AWS_EC2_METADATA_DISABLED")
        self.assertEqual(self.imds.requests, [])

    def test_unreachable(self):
        env = dict(self.env, AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d"
                   % kumo_fixture.closed_port())
        self.assertFailsWith(env, "no AWS credentials")


class Container(ChainCase):
    TOKEN = "container-auth-token-secret"

    def setUp(self):
        super().setUp()
        self.server = FakeContainer(moto().access_key_id, moto().secret_access_key,
                                    SESSION_TOKEN, expected_token=self.TOKEN)
        self.addCleanup(self.server.stop)
        self.env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.server.endpoint + FakeContainer.PATH,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.TOKEN}

    def test_token_from_environment(self):
        self.assertWorks(self.env)
        self.assertEqual(self.server.requests[0]["headers"]["authorization"], self.TOKEN)

    def test_token_file_wins_and_is_reread(self):
        path = self.write_file("token", self.TOKEN + "\n")
        env = dict(self.env, AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong",
                   AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=path)
        self.assertWorks(env)
        self.write_file("token", "changed-token\n")
        self.assertFailsWith(env, "HTTP 401")

    def test_wrong_token(self):
        env = dict(self.env, AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong")
        self.assertFailsWith(env, "container credentials from " + self.server.endpoint, "HTTP 401")

    def test_not_found_bad_json_and_5xx(self):
        env = dict(self.env, AWS_CONTAINER_CREDENTIALS_FULL_URI=self.server.endpoint + "/nope")
        self.assertFailsWith(env, "HTTP 404")
        self.server.mode = "bad_json"
        self.assertFailsWith(self.env, "not a JSON object")
        self.server.mode = "error_500"
        self.assertFailsWith(self.env, "HTTP 500")

    def test_slow_beyond_timeout(self):
        self.server.mode = "slow"
        self.server.delay_s = 3.0
        rc, out, err = result = self.run_describe(self.env)
        self.assertExit(result, 1)
        self.assertIn("container credentials from", err)

    def test_plain_http_to_another_host_is_refused(self):
        env = dict(self.env, AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.1/creds")
        self.assertFailsWith(env, "plain http is allowed only to a loopback address")


class CredentialProcess(ChainCase):
    def profile_with(self, script_text):
        script = self.write_file("creds.sh", script_text)
        os.chmod(script, 0o700)
        config = self.write_file("config", "[profile proc]\ncredential_process = %s --flag 'a b'\n"
                                 % script)
        return {"AWS_CONFIG_FILE": config}

    def test_success(self):
        doc = json.dumps({"Version": 1, "AccessKeyId": moto().access_key_id,
                          "SecretAccessKey": moto().secret_access_key,
                          "Expiration": "2099-01-01T00:00:00Z"})
        env = self.profile_with("#!/bin/sh\n[ \"$2\" = 'a b' ] || exit 7\ncat <<'J'\n%s\nJ\n" % doc)
        self.assertWorks(env, args=["--profile", "proc"])

    def test_failure_carries_stderr(self):
        env = self.profile_with("#!/bin/sh\necho 'please log in again' >&2\nexit 4\n")
        self.assertFailsWith(env, "exited with status 4: please log in again",
                             args=["--profile", "proc"])

    def test_bad_json(self):
        env = self.profile_with("#!/bin/sh\necho '{\"Version\": 1, \"SecretAccessKey\": \"%s\"'\n"
                                % moto().secret_access_key)
        self.assertFailsWith(env, "credential_process of profile proc: its output is not a JSON",
                             args=["--profile", "proc"])


# ------------------------------------------------------------------ AssumeRole



def trust_policy(user_arn):
    """The role trusts the user by ARN (moto matches the principal literally)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]}

ASSUME_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
EC2_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}


class AssumeRoleMoto(kumo_fixture.Moto):
    """A moto whose user may only call sts:AssumeRole, and a role allowed ec2:*."""

    BOOTSTRAP_CALLS = 7  # the unchecked requests made by _bootstrap

    def start(self):
        saved = kumo_fixture.NO_AUTH_COUNT
        kumo_fixture.NO_AUTH_COUNT = self.BOOTSTRAP_CALLS
        try:
            return super().start()
        finally:
            kumo_fixture.NO_AUTH_COUNT = saved

    def _bootstrap(self):
        iam = self.client("iam", "AKIDBOOTSTRAPEXAMPLE", "bootstrap-secret-not-checked")
        user = iam.create_user(UserName="caller")["User"]                       # 1
        key = iam.create_access_key(UserName="caller")["AccessKey"]             # 2
        policy = iam.create_policy(PolicyName="assume-only",                    # 3
                                   PolicyDocument=json.dumps(ASSUME_ONLY))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="caller", PolicyArn=policy)             # 4
        self.role_arn = iam.create_role(RoleName="deployer",                    # 5
                                        AssumeRolePolicyDocument=json.dumps(trust_policy(user["Arn"])))["Role"]["Arn"]
        ec2_policy = iam.create_policy(PolicyName="ec2-all",                    # 6
                                       PolicyDocument=json.dumps(EC2_ALL))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="deployer", PolicyArn=ec2_policy)       # 7
        self.access_key_id = key["AccessKeyId"]
        self.secret_access_key = key["SecretAccessKey"]


class AssumeRole(KumoTestCase):
    @classmethod
    def setUpClass(cls):
        cls.sts_moto = AssumeRoleMoto().start()

    @classmethod
    def tearDownClass(cls):
        cls.sts_moto.stop()

    def secrets(self):
        return (self.sts_moto.secret_access_key,)

    def run_script(self, script_text, env, args=(), verbose=False):
        script = self.write_script(script_text)
        argv = ["run", script, "--output", "-"] + list(args) + (["-v"] if verbose else [])
        result = self.run_kumo(argv, env_extra=env, timeout=60)
        self.assertNoSecret(result, *self.secrets())
        return result

    def test_user_keys_are_denied_ec2(self):
        m = self.sts_moto
        rc, out, err = result = self.run_script(DESCRIBE, {
            "AWS_ACCESS_KEY_ID": m.access_key_id, "AWS_SECRET_ACCESS_KEY": m.secret_access_key,
            "AWS_REGION": m.region, "AWS_ENDPOINT_URL": m.endpoint})
        self.assertExit(result, 1)
        self.assertIn("AccessDenied", err, self.describe(rc, out, err))

    def test_role_arn_with_source_profile(self):
        m = self.sts_moto
        credentials = self.write_file("credentials", "[caller]\naws_access_key_id = %s\n"
                                      "aws_secret_access_key = %s\n"
                                      % (m.access_key_id, m.secret_access_key))
        config = self.write_file("config", "[profile deploy]\nrole_arn = %s\nsource_profile = "
                                 "caller\nrole_session_name = kumo-e2e\nregion = %s\n"
                                 "endpoint_url = %s\n" % (m.role_arn, m.region, m.endpoint))
        env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
        script = ('local v = ec2.call("CreateVpc", { CidrBlock = "10.42.0.0/16" })\n'
                  'local r = ec2.call("DescribeVpcs", { VpcId = { v.vpc.vpcId } })\n'
                  'return { vpc_id = v.vpc.vpcId, found = #r.vpcSet }\n')
        for verbose in (False, True):
            rc, out, err = result = self.run_script(script, env, ["--profile", "deploy"], verbose)
            self.assertExit(result, 0)
            doc = self.assertJsonStdout(result)
            self.assertEqual(doc["found"], 1)
            # checked by boto3 with the role's own credentials, not by kumo
            sts = m.client("sts")
            role = sts.assume_role(RoleArn=m.role_arn, RoleSessionName="check")["Credentials"]
            ec2 = m.client("ec2", role["AccessKeyId"], role["SecretAccessKey"],
                           aws_session_token=role["SessionToken"])
            vpcs = ec2.describe_vpcs(VpcIds=[doc["vpc_id"]])["Vpcs"]
            self.assertEqual(vpcs[0]["CidrBlock"], "10.42.0.0/16")
            self.assertNotIn(role["SecretAccessKey"], out + err)

    def test_access_denied_from_sts_is_reported(self):
        m = self.sts_moto
        credentials = self.write_file("credentials", "[caller]\naws_access_key_id = %s\n"
                                      "aws_secret_access_key = %s\n"
                                      % (m.access_key_id, "wrong-secret-value"))
        config = self.write_file("config", "[profile deploy]\nrole_arn = %s\nsource_profile = "
                                 "caller\nregion = %s\nendpoint_url = %s\n"
                                 % (m.role_arn, m.region, m.endpoint))
        env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": credentials}
        rc, out, err = result = self.run_script(DESCRIBE, env, ["--profile", "deploy"])
        self.assertExit(result, 1)
        self.assertIn("STS AssumeRole of " + m.role_arn + " failed", err, self.describe(rc, out, err))
        self.assertNotIn("wrong-secret-value", out + err)


if __name__ == "__main__":
    kumo_fixture.main()
