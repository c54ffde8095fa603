"""test_cli - the `kumo` command contract that needs no AWS: exit codes,
--var, --output, stdout/stderr discipline, log levels, -q, Lua errors,
version and help, and a connection error to an endpoint where nothing listens.

Every run has fake credentials, a region and an EC2 endpoint on a closed
loopback port, so nothing here can ever reach real AWS. (ctest: integration.cli)
"""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kumo_fixture as kf  # noqa: E402

FAKE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def offline_env(**extra):
    env = {
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:%d" % OFFLINE_PORT,
    }
    env.update(extra)
    return env


OFFLINE_PORT = None


def setUpModule():
    global OFFLINE_PORT
    OFFLINE_PORT = kf.closed_port()


def project_version():
    path = os.path.join(kf.SOURCE_DIR, "CMakeLists.txt")
    with open(path) as f:
        m = re.search(r"project\(\s*kumo\s+VERSION\s+([0-9][0-9.]*)", f.read())
    return m.group(1) if m else None


class OutputTest(kf.KumoTestCase):
    """--var, --output, stdout carries only the requested output."""

    def run_offline(self, args, **kw):
        return kf.run_kumo(args, env_extra=offline_env(), **kw)

    def test_var_reaches_script_as_string(self):
        r = self.run_offline(
            ["run", kf.script_path("vars.lua"), "--var", "name=hello", "--var", "count=42", "--output", "-"]
        )
        self.assertExit(r, 0)
        data = self.assertJsonStdout(r)
        self.assertEqual(data["name"], "hello")
        self.assertEqual(data["name_type"], "string")
        # A numeric-looking value is still a string.
        self.assertEqual(data["count"], "42")
        self.assertEqual(data["count_type"], "string")
        self.assertEqual(data["missing_type"], "nil")

    def test_output_dash_prints_only_json_on_stdout(self):
        r = self.run_offline(["run", kf.script_path("logs.lua"), "--output", "-"])
        self.assertExit(r, 0)
        self.assertEqual(self.assertJsonStdout(r), {"logged": 3})
        # Log lines went to stderr, none to stdout.
        self.assertNotIn("marker", r[1])

    def test_output_file_writes_json_and_keeps_stdout_empty(self):
        out_path = os.path.join(self.tmp, "result.json")
        r = self.run_offline(["run", kf.script_path("vars.lua"), "--var", "name=filed", "--output", out_path])
        self.assertExit(r, 0)
        self.assertEqual(r[1], "", "stdout must be empty with --output FILE\n" + self.describe(*r))
        self.assertTrue(os.path.isfile(out_path), "--output FILE did not create the file")
        with open(out_path) as f:
            data = json.load(f)
        self.assertEqual(data["name"], "filed")
        self.assertEqual(data["name_type"], "string")

    def test_stdout_empty_without_output_flag(self):
        r = self.run_offline(["run", kf.script_path("vars.lua"), "--var", "name=quiet"])
        self.assertExit(r, 0)
        self.assertEqual(r[1], "", "stdout must be empty without --output\n" + self.describe(*r))

    def test_script_returning_nothing_gives_null(self):
        r = self.run_offline(["run", kf.script_path("return_nothing.lua"), "--output", "-"])
        self.assertExit(r, 0)
        self.assertEqual(r[1].strip(), "null", self.describe(*r))
        self.assertIsNone(self.assertJsonStdout(r))

    def test_script_path_relative_to_cwd(self):
        path = self.write_script('return { where = "cwd" }\n', name="rel.lua")
        r = kf.run_kumo(["run", "rel.lua", "--output", "-"], env_extra=offline_env(), cwd=os.path.dirname(path))
        self.assertExit(r, 0)
        self.assertEqual(self.assertJsonStdout(r), {"where": "cwd"})


class LogTest(kf.KumoTestCase):
    """log.info/warn/error go to stderr with their level; -q drops info."""

    @staticmethod
    def line_with(text, stderr):
        return [ln for ln in stderr.splitlines() if text in ln]

    def test_log_levels_go_to_stderr(self):
        r = kf.run_kumo(["run", kf.script_path("logs.lua")], env_extra=offline_env())
        self.assertExit(r, 0)
        rc, out, err = r
        self.assertEqual(out, "")
        for marker, level in (("info-marker-1", "info"), ("warn-marker-2", "warn"), ("error-marker-3", "error")):
            lines = self.line_with(marker, err)
            self.assertEqual(len(lines), 1, "expected one stderr line with %r\n%s" % (marker, self.describe(*r)))
            self.assertRegex(lines[0], r"\b%s\b" % level, "log line lacks its level")
            self.assertTrue(lines[0].startswith("kumo:"), "log line should start with 'kumo:': %r" % lines[0])

    def test_quiet_suppresses_info(self):
        for flag in ("-q", "--quiet"):
            with self.subTest(flag=flag):
                r = kf.run_kumo(["run", kf.script_path("logs.lua"), flag, "--output", "-"], env_extra=offline_env())
                self.assertExit(r, 0)
                rc, out, err = r
                self.assertNotIn("info-marker-1", err, "%s must suppress info lines\n%s" % (flag, self.describe(*r)))
                self.assertIn("warn-marker-2", err, "%s must keep warnings\n%s" % (flag, self.describe(*r)))
                self.assertIn("error-marker-3", err, "%s must keep errors\n%s" % (flag, self.describe(*r)))
                self.assertEqual(self.assertJsonStdout(r), {"logged": 3})


class ExitCodeTest(kf.KumoTestCase):
    """0 success, 1 script/AWS failure, 2 usage error."""

    def assertUsageError(self, args, mention=None):
        r = kf.run_kumo(args, env_extra=offline_env())
        self.assertExit(r, 2)
        rc, out, err = r
        self.assertEqual(out, "", "a usage error prints nothing on stdout\n" + self.describe(*r))
        self.assertTrue(err.strip(), "a usage error must explain itself on stderr")
        if mention:
            self.assertIn(mention, err, self.describe(*r))

    def test_unknown_flag(self):
        script = kf.script_path("vars.lua")
        self.assertUsageError(["run", script, "--no-such-flag"], mention="--no-such-flag")

    def test_unknown_top_level_flag(self):
        self.assertUsageError(["--no-such-flag"], mention="--no-such-flag")

    def test_run_without_script(self):
        self.assertUsageError(["run"])

    def test_missing_script_file(self):
        missing = os.path.join(self.tmp, "does-not-exist.lua")
        self.assertUsageError(["run", missing], mention="does-not-exist.lua")

    def test_var_without_equals(self):
        self.assertUsageError(["run", kf.script_path("vars.lua"), "--var", "novalue"], mention="novalue")

    def test_unknown_subcommand(self):
        self.assertUsageError(["frobnicate"], mention="frobnicate")

    def test_lua_error_exits_1_with_file_and_line(self):
        r = kf.run_kumo(["run", kf.script_path("lua_error.lua"), "--output", "-"], env_extra=offline_env())
        self.assertExit(r, 1)
        rc, out, err = r
        self.assertIn("lua-error-marker", err)
        self.assertIn("lua_error.lua:4", err, "the Lua error must carry file:line\n" + self.describe(*r))
        self.assertNotIn("reached", out)

    def test_lua_runtime_error_exits_1_with_file_and_line(self):
        r = kf.run_kumo(["run", kf.script_path("nil_index.lua")], env_extra=offline_env())
        self.assertExit(r, 1)
        rc, out, err = r
        self.assertIn("nil_index.lua:3", err, self.describe(*r))
        self.assertRegex(err, r"attempt to index", self.describe(*r))

    def test_syntax_error_exits_1(self):
        path = self.write_script("local x = = 1\n", name="bad_syntax.lua")
        r = kf.run_kumo(["run", path], env_extra=offline_env())
        self.assertExit(r, 1)
        self.assertIn("bad_syntax.lua:1", r[2], self.describe(*r))

    def test_success_exits_0(self):
        r = kf.run_kumo(["run", kf.script_path("return_nothing.lua")], env_extra=offline_env())
        self.assertExit(r, 0)


class VersionHelpTest(kf.KumoTestCase):
    def test_version(self):
        r = kf.run_kumo(["version"], env_extra=offline_env())
        self.assertExit(r, 0)
        version = project_version()
        self.assertRegex(r[1], r"\d+\.\d+\.\d+")
        if version:
            self.assertIn(version, r[1], "kumo version should print the project version %s" % version)

    def test_help(self):
        r = kf.run_kumo(["--help"], env_extra=offline_env())
        self.assertExit(r, 0)
        rc, out, err = r
        self.assertRegex(out, r"(?i)usage", "--help prints usage on stdout\n" + self.describe(*r))
        self.assertIn("run", out)

    def test_run_help(self):
        r = kf.run_kumo(["run", "--help"], env_extra=offline_env())
        self.assertExit(r, 0)
        rc, out, err = r
        self.assertRegex(out, r"(?i)usage", "run --help prints usage on stdout\n" + self.describe(*r))
        for flag in ("--region", "--profile", "--endpoint", "--var", "--output"):
            self.assertIn(flag, out, "kumo run --help should document %s" % flag)


class ConnectionErrorTest(kf.KumoTestCase):
    def test_connection_refused_names_endpoint(self):
        port = kf.closed_port()
        endpoint = "http://127.0.0.1:%d" % port
        r = kf.run_kumo(
            ["run", kf.script_path("describe_vpcs.lua"), "--endpoint", endpoint, "--output", "-"],
            env_extra=offline_env(),
            timeout=90,
        )
        self.assertExit(r, 1)
        rc, out, err = r
        self.assertIn("127.0.0.1:%d" % port, err, "the connection error must name host:port\n" + self.describe(*r))
        self.assertRegex(err, r"(?i)connect", self.describe(*r))
        self.assertEqual(out.strip(), "", "no JSON on failure")
        self.assertNotIn(FAKE_SECRET, out + err)


if __name__ == "__main__":
    kf.main()
