"""test_sigv4_differential.py - kumo's SigV4 signer against botocore's, byte for byte.

Generates several hundred random EC2-shaped requests from a fixed seed (POST / with a
form-encoded Action=...&Version=2016-11-15&... body holding odd characters, hosts with
and without a port, optional long session tokens, many regions and times), signs each
with botocore.auth.SigV4Auth (the clock pinned) and with kumo's tests/tools/sigv4_sign
tool, and checks that canonical request, string to sign and Authorization agree. A
second set of GET requests with odd paths (dot segments, '//', escapes, UTF-8) and
encoded queries checks path normalisation and double encoding the same way.

Usage: python3 test_sigv4_differential.py PATH/TO/sigv4_sign_tool [unittest args...]
(or set KUMO_SIGV4_SIGN_TOOL). Registered by tests/unit/sigv4.cmake as
sigv4.differential.botocore.
"""
import datetime
import json
import os
import random
import subprocess
import sys
import unittest
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SEED = 20151030
REQUEST_COUNT = 600
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-3", "ap-southeast-2",
    "ap-south-1", "sa-east-1", "ca-central-1", "me-central-1", "af-south-1",
    "us-gov-west-1", "cn-north-1",
]
ACTIONS = [
    "DescribeVpcs", "DescribeSecurityGroups", "CreateSecurityGroup",
    "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DeleteSecurityGroup",
    "CreateTags", "DescribeSecurityGroupRules",
]
PARAM_NAMES = [
    "GroupName", "GroupDescription", "VpcId", "GroupId.1", "DryRun", "MaxResults", "NextToken",
    "Filter.1.Name", "Filter.1.Value.1", "Filter.2.Value.3", "ResourceId.1", "Tag.1.Key",
    "Tag.1.Value", "TagSpecification.1.ResourceType", "TagSpecification.1.Tag.1.Key",
    "TagSpecification.1.Tag.1.Value", "IpPermissions.1.IpProtocol", "IpPermissions.1.FromPort",
    "IpPermissions.1.ToPort", "IpPermissions.1.IpRanges.1.CidrIp",
    "IpPermissions.1.IpRanges.1.Description", "IpPermissions.1.Ipv6Ranges.1.CidrIpv6",
    "IpPermissions.2.Groups.1.GroupId", "IpPermissions.2.Groups.1.Description",
]
# Characters values are drawn from: ASCII, the ones that need escaping, and non-ASCII.
ODD_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " +%~*-_.!'()/:;=&?#[]@$,\"<>\\^`{|}\n\r\t"
    "éüßñ雲東京한국어Ωж\u00a0\u2028\u200b🙂🚀"
)
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
EPOCH = datetime.datetime(1970, 1, 1)
FIXED_TIMES = [
    0,  # 19700101T000000Z
    951782399,  # 20000228T235959Z
    951782400,  # 20000229T000000Z (leap day of a /400 year)
    1440938160,  # 20150830T123600Z (the test suites' time)
    1709251199,  # 20240229T235959Z
    1735689599,  # 20241231T235959Z
    1735689600,  # 20250101T000000Z
    2147483647,  # 20380119T031407Z
    4102444800,  # 21000101T000000Z (2100 is not a leap year)
]


def random_text(rng, length):
    return "".join(rng.choice(ODD_CHARS) for _ in range(length))


def random_value(rng):
    kind = rng.random()
    if kind < 0.05:
        return ""
    if kind < 0.12:
        return random_text(rng, rng.randint(2000, 8000))  # several KB
    if kind < 0.2:
        return rng.choice(["0.0.0.0/0", "::/0", "10.0.0.18/8", "sg-0123456789abcdef0", "true",
                           "tag:Name", "zenn-clone-vpc", "-1", "3306"])
    return random_text(rng, rng.randint(1, 60))


def random_body(rng):
    """An EC2 Query body, encoded the way botocore's ec2 serializer does it."""
    params = [("Action", rng.choice(ACTIONS)), ("Version", "2016-11-15")]
    for _ in range(rng.randint(0, 12)):
        params.append((rng.choice(PARAM_NAMES), random_value(rng)))
    body = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in params)
    if rng.random() < 0.08:
        # Bytes are hashed as they are: also try raw, unencoded text.
        body += "&Raw=" + random_text(rng, rng.randint(1, 200))
    return body


def random_endpoint(rng, region):
    choice = rng.random()
    if choice < 0.45:
        suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
        return f"https://ec2.{region}{suffix}/"
    if choice < 0.65:
        return f"http://127.0.0.1:{rng.randint(1024, 65535)}/"
    if choice < 0.75:
        return "http://localhost:4566/"
    if choice < 0.85:
        return f"https://vpce-0a1b2c3d.ec2.{region}.vpce.amazonaws.com:8443/"
    return f"http://[::1]:{rng.randint(1024, 65535)}/"


def random_cases(seed, count):
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        region = rng.choice(REGIONS)
        service = "ec2" if rng.random() < 0.9 else "sts"
        seconds = FIXED_TIMES[i] if i < len(FIXED_TIMES) else rng.randint(946684800, 4102444799)
        token = None
        if rng.random() < 0.5:
            token = "".join(rng.choice(B64) for _ in range(rng.randint(100, 1200)))
            token += "=" * rng.randint(0, 2)
        cases.append({
            "url": random_endpoint(rng, region),
            "body": random_body(rng),
            "access_key_id": rng.choice(["AKIA", "ASIA"]) + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
            "secret_access_key": "".join(rng.choice(B64) for _ in range(40)),
            "session_token": token,
            "region": region,
            "service": service,
            "unix_seconds": seconds,
            "content_type_name": rng.choice(["Content-Type", "content-type", "CONTENT-TYPE"]),
            "host_first": rng.random() < 0.5,
        })
    return cases


PATH_SEGMENTS = ["", ".", "..", "a", "b c", "%41", "%2F", "\u00e9", "\u96f2", "x*y", "$delete",
                 "~u", "a+b", "q=1", "-._"]
PATH_COUNT = 200


def random_path_cases(seed, count):
    """GET requests with odd paths (dot segments, '//', escapes, UTF-8) and an
    already-encoded query: checks path normalisation and double encoding."""
    rng = random.Random(seed + 1)
    cases = []
    for _ in range(count):
        segments = [rng.choice(PATH_SEGMENTS) for _ in range(rng.randint(0, 6))]
        path = "/" + "/".join(segments)
        params = [(random_text(rng, rng.randint(1, 8)), random_text(rng, rng.randint(0, 8)))
                  for _ in range(rng.randint(0, 4))]
        query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in params)
        cases.append({"path": path, "query": query, "unix_seconds": rng.randint(0, 4102444799),
                      "region": rng.choice(REGIONS)})
    return cases


class RecordingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth that keeps the canonical request and string to sign it made."""

    def canonical_request(self, request):
        self.recorded_canonical_request = super().canonical_request(request)
        return self.recorded_canonical_request

    def string_to_sign(self, request, canonical_request):
        self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.recorded_string_to_sign


def sign_with_botocore(case):
    credentials = Credentials(case["access_key_id"], case["secret_access_key"],
                              case["session_token"])
    request = AWSRequest(method="POST", url=case["url"], data=case["body"].encode("utf-8"),
                         headers={case["content_type_name"]: CONTENT_TYPE})
    auth = RecordingSigV4Auth(credentials, case["service"], case["region"])
    now = EPOCH + datetime.timedelta(seconds=case["unix_seconds"])
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        auth.add_auth(request)
    return {
        "amz_date": request.headers["X-Amz-Date"],
        "canonical_request": auth.recorded_canonical_request,
        "string_to_sign": auth.recorded_string_to_sign,
        "authorization": request.headers["Authorization"],
    }


def kumo_request(case):
    """The request as kumo's HTTP layer would hand it to the signer."""
    parts = urlsplit(case["url"])
    host = parts.netloc  # none of the generated URLs uses a default port
    headers = [[case["content_type_name"], CONTENT_TYPE], ["Host", host]]
    if case["host_first"]:
        headers.reverse()
    return {
        "method": "POST",
        "path": parts.path,
        "query": parts.query,
        "headers": headers,
        "body": case["body"],
        "access_key_id": case["access_key_id"],
        "secret_access_key": case["secret_access_key"],
        "session_token": case["session_token"],
        "sign_session_token": True,
        "normalize_path": True,
        "region": case["region"],
        "service": case["service"],
        "unix_seconds": case["unix_seconds"],
    }


def sign_with_kumo(tool, cases):
    lines = "".join(json.dumps(kumo_request(c), ensure_ascii=False) + "\n" for c in cases)
    completed = subprocess.run([tool], input=lines.encode("utf-8"), capture_output=True,
                               timeout=120, check=False)
    if completed.returncode != 0:
        raise AssertionError(f"{tool} exited {completed.returncode}: "
                             f"{completed.stderr.decode('utf-8', 'replace')}")
    return [json.loads(line) for line in completed.stdout.decode("utf-8").splitlines()]


TOOL = os.environ.get("KUMO_SIGV4_SIGN_TOOL")


class DifferentialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TOOL or not os.access(TOOL, os.X_OK):
            raise AssertionError(f"sigv4 signing tool not found: {TOOL!r}")
        cls.cases = random_cases(SEED, REQUEST_COUNT)
        cls.kumo = sign_with_kumo(TOOL, cls.cases)

    def test_generator_covers_the_edges(self):
        bodies = [c["body"] for c in self.cases]
        self.assertEqual(len(self.cases), REQUEST_COUNT)
        self.assertTrue(any(len(b) > 8000 for b in bodies))
        self.assertTrue(any("%E9%9B%B2" in b for b in bodies))  # 雲, encoded
        self.assertTrue(any("%2B" in b and "%25" in b and "~" in b and "%2A" in b for b in bodies))
        self.assertTrue(any("%0A" in b for b in bodies))
        self.assertTrue(any(c["session_token"] for c in self.cases))
        self.assertTrue(any(not c["session_token"] for c in self.cases))
        self.assertTrue(any(":" in urlsplit(c["url"]).netloc for c in self.cases))
        self.assertTrue(any(":" not in urlsplit(c["url"]).netloc for c in self.cases))

    def test_one_result_per_request(self):
        self.assertEqual(len(self.kumo), len(self.cases))

    def test_every_request_signs_like_botocore(self):
        self.assertEqual(len(self.kumo), len(self.cases), "one result per request")
        mismatches = 0
        for index, (case, got) in enumerate(zip(self.cases, self.kumo)):
            with self.subTest(index=index, url=case["url"], region=case["region"]):
                self.assertNotIn("error", got)
                expected = sign_with_botocore(case)
                for field in ("amz_date", "canonical_request", "string_to_sign",
                              "authorization"):
                    if got.get(field) != expected[field]:
                        mismatches += 1
                    self.assertEqual(got.get(field), expected[field],
                                     f"request {index}: {field} differs")
        print(f"\n{len(self.cases)} requests compared with botocore "
              f"{botocore.__version__}, {mismatches} field mismatches", file=sys.stderr)

    def test_paths_and_queries_sign_like_botocore(self):
        cases = random_path_cases(SEED, PATH_COUNT)
        requests = []
        for c in cases:
            requests.append({
                "method": "GET", "path": c["path"], "query": c["query"],
                "headers": [["Host", "example.amazonaws.com"]], "body": "",
                "access_key_id": "AKIDEXAMPLE",
                "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "session_token": None, "region": c["region"], "service": "ec2",
                "unix_seconds": c["unix_seconds"],
            })
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
        completed = subprocess.run([TOOL], input=lines.encode("utf-8"), capture_output=True,
                                   timeout=120, check=True)
        results = [json.loads(line) for line in completed.stdout.decode("utf-8").splitlines()]
        self.assertEqual(len(results), len(cases))
        for index, (c, got) in enumerate(zip(cases, results)):
            url = "https://example.amazonaws.com" + c["path"]
            if c["query"]:
                url += "?" + c["query"]
            request = AWSRequest(method="GET", url=url)
            auth = RecordingSigV4Auth(Credentials("AKIDEXAMPLE",
                                                  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                      "ec2", c["region"])
            now = EPOCH + datetime.timedelta(seconds=c["unix_seconds"])
            with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
                auth.add_auth(request)
            with self.subTest(index=index, path=c["path"], query=c["query"]):
                self.assertEqual(got.get("canonical_request"), auth.recorded_canonical_request)
                self.assertEqual(got.get("authorization"), request.headers["Authorization"])

    def test_the_tool_reports_bad_input(self):
        bad = dict(kumo_request(self.cases[0]))
        bad["headers"] = [["Content-Type", CONTENT_TYPE]]  # no Host
        completed = subprocess.run([TOOL], input=(json.dumps(bad) + "\n").encode(),
                                   capture_output=True, timeout=30, check=True)
        self.assertEqual(json.loads(completed.stdout), {"error": "kumo_sigv4_sign failed"})


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        TOOL = sys.argv.pop(1)
    unittest.main(verbosity=2)
