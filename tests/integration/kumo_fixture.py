"""kumo_fixture - shared helpers for kumo's integration tests.

What it provides:

* ``Moto``: a moto server on a free 127.0.0.1 port, started with
  ``INITIAL_NO_AUTH_ACTION_COUNT=4`` and bootstrapped with exactly four
  unchecked IAM calls (CreateUser, CreateAccessKey, CreatePolicy allowing
  ``ec2:*`` and ``sts:*``, AttachUserPolicy). Every later request must carry a
  valid SigV4 signature made with the new user's key. It exposes ``endpoint``,
  ``access_key_id``, ``secret_access_key``, ``region`` and ``ec2`` (a boto3
  client with those keys, for checks that do not trust kumo).
* ``start_moto()`` / ``stop_moto()``: one server per test process, meant for
  ``setUpModule``/``tearDownModule``. The server is stopped by its process
  group id on tearDown, at exit (atexit), on SIGTERM/SIGINT/SIGHUP, by a
  watchdog before ctest's timeout, and (Linux) by PR_SET_PDEATHSIG if this
  process is killed outright.
* When moto cannot be found: ``unittest.SkipTest`` normally, a hard failure
  when ``CI=true``.
* ``run_kumo(args, env_extra=None, input=None, timeout=60, moto_credentials=False)``
  -> ``(exit_code, stdout, stderr)``: runs ``$KUMO_BIN`` in an isolated
  environment (temp HOME, no inherited ``AWS_*`` variables, config and
  credentials files pointing at files that do not exist, metadata disabled).
* ``KumoTestCase``: a TestCase with a temp directory, script helpers and
  ``assertNoSecret``.
* ``RecordingProxy``: a loopback forwarder in front of moto that records
  every request kumo sends (headers, body), so tests check what was sent and
  look for the exact signatures in kumo's output. ``http_lines()`` picks the
  ``-v`` HTTP exchange lines out of stderr.
* ``main()``: ``unittest.main`` with the watchdog, exiting 77 when moto was
  missing and every test skipped (ctest SKIP_RETURN_CODE).

Environment: KUMO_BIN (the command; default build/kumo), KUMO_MOTO_CMD (start
moto with this command line instead), KUMO_TEST_WATCHDOG_S (default 170),
KUMO_KEEP_TMP=1 (keep moto's log directory), CI=true (missing moto fails).

Only the Python standard library and boto3/botocore are used.
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS_DIR = os.path.join(HERE, "scripts")
SOURCE_DIR = os.environ.get("KUMO_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))

MOTO_REGION = "us-east-1"
NO_AUTH_COUNT = 4  # unchecked requests moto allows before verifying signatures
MOTO_START_TIMEOUT_S = 30.0
# The watchdog fires this long after start unless KUMO_TEST_WATCHDOG_S says otherwise;
# keep it below the ctest TIMEOUT (integration.cmake) so moto is stopped by us.
DEFAULT_WATCHDOG_S = 170.0

EC2_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "sts:*"], "Resource": "*"}],
}


def ci_mode():
    """True when env CI=true (then a missing moto fails instead of skipping)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def log(msg):
    """Progress note for the test log (stderr, so ctest shows it on failure)."""
    sys.stderr.write("[kumo_fixture] %s\n" % msg)
    sys.stderr.flush()


# --------------------------------------------------------------------------- ports


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port():
    """A loopback port where nothing listens (connections are refused)."""
    for _ in range(20):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("could not find a closed loopback port")


# --------------------------------------------------------------------------- moto


def find_moto():
    """The argv prefix that starts moto's server, or None.

    ``moto_server`` on PATH first, else ``python3 -m moto.server`` with this
    interpreter (which must import moto.server). $KUMO_MOTO_CMD, when set, is
    used instead (split like a shell line; a program that is not found counts
    as moto missing)."""
    override = os.environ.get("KUMO_MOTO_CMD")
    if override:
        import shlex

        argv = shlex.split(override)
        if argv and shutil.which(argv[0]):
            return [shutil.which(argv[0])] + argv[1:]
        return None
    exe = shutil.which("moto_server")
    if exe:
        return [exe]
    try:
        rc = subprocess.run(
            [sys.executable, "-c", "import moto.server"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        ).returncode
    except (OSError, subprocess.TimeoutExpired):
        rc = 1
    if rc == 0:
        return [sys.executable, "-m", "moto.server"]
    return None


def _pdeathsig():
    """preexec_fn: have the kernel SIGTERM the child if this process dies (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:  # not Linux, or no prctl: the other guards still apply
        pass


def _kill_group(proc, grace_s=5.0):
    """Stops a process started with start_new_session=True, by its group id."""
    if proc is None or proc.poll() is not None:
        return
    pgid = proc.pid  # session leader: its pgid is its pid
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, grace_s)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        except PermissionError:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    # The group may outlive its leader; make sure nothing of it is left.
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class MotoNotFound(Exception):
    pass


class Moto:
    """A moto server with signature checking on and one IAM user allowed ec2:*."""

    def __init__(self):
        self.proc = None
        self.port = None
        self.endpoint = None
        self.region = MOTO_REGION
        self.access_key_id = None
        self.secret_access_key = None
        self.user_name = "kumo-integration"
        self.workdir = None
        self.log_path = None
        self._log_file = None
        self._ec2 = None

    # -- lifecycle

    def start(self):
        argv = find_moto()
        if argv is None:
            raise MotoNotFound(
                "moto not found: neither `moto_server` on PATH nor `%s -m moto.server` works "
                "(install it with `pip install 'moto[server]'`)" % sys.executable
            )
        self.workdir = tempfile.mkdtemp(prefix="kumo-moto-")
        self.log_path = os.path.join(self.workdir, "moto.log")
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(NO_AUTH_COUNT)
        env["AWS_DEFAULT_REGION"] = MOTO_REGION
        self._log_file = open(self.log_path, "wb")
        cmd = argv + ["-H", "127.0.0.1", "-p", str(self.port)]
        log("starting %s (log %s)" % (" ".join(cmd), self.log_path))
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_pdeathsig if sys.platform.startswith("linux") else None,
        )
        _register_for_cleanup(self)
        try:
            self._wait_until_up()
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self):
        """Polls /moto-api/ (not an AWS action, so it uses none of the 4 free requests)."""
        deadline = time.monotonic() + MOTO_START_TIMEOUT_S
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    "moto exited with status %s before answering:\n%s"
                    % (self.proc.returncode, self.log_tail())
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/moto-api/")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status < 500:
                    return
                last = "HTTP %d" % resp.status
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        raise RuntimeError(
            "moto did not answer on %s within %.0f s (%s):\n%s"
            % (self.endpoint, MOTO_START_TIMEOUT_S, last, self.log_tail())
        )

    def _bootstrap(self):
        """Exactly NO_AUTH_COUNT unchecked IAM calls: user, key, policy, attachment."""
        iam = self.client("iam", "AKIDBOOTSTRAPEXAMPLE", "bootstrap-secret-not-checked")
        iam.create_user(UserName=self.user_name)
        key = iam.create_access_key(UserName=self.user_name)["AccessKey"]
        arn = iam.create_policy(
            PolicyName="kumo-integration-ec2", PolicyDocument=json.dumps(EC2_POLICY)
        )["Policy"]["Arn"]
        iam.attach_user_policy(UserName=self.user_name, PolicyArn=arn)
        self.access_key_id = key["AccessKeyId"]
        self.secret_access_key = key["SecretAccessKey"]
        log("moto up on %s, IAM user %s key %s" % (self.endpoint, self.user_name, self.access_key_id))

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            log("stopping moto (pgid %d)" % proc.pid)
        _kill_group(proc)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.workdir and os.environ.get("KUMO_KEEP_TMP") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, max_bytes=4000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return data[-max_bytes:].decode("utf-8", "replace")
        except OSError:
            return "(no moto log)"

    # -- clients

    def client(self, service, access_key_id=None, secret_access_key=None, **kwargs):
        """A boto3 client for this moto (default: the bootstrapped user's keys)."""
        import boto3
        import botocore.config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
            **kwargs,
        )

    @property
    def ec2(self):
        """boto3 EC2 client signed with the bootstrapped user's keys."""
        if self._ec2 is None:
            self._ec2 = self.client("ec2")
        return self._ec2

    def credentials_env(self):
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
        }


# --------------------------------------------------------------------------- cleanup

_LIVE = []  # Moto instances to stop at exit
_HANDLERS_INSTALLED = False
_MOTO = None  # the per-process server used by start_moto()
_MOTO_SKIPPED = False


def _stop_all():
    for m in list(_LIVE):
        try:
            m.stop()
        except Exception as e:  # keep going: stop the others
            log("error stopping moto: %s" % e)
    del _LIVE[:]


def _on_signal(signum, frame):
    _stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _register_for_cleanup(moto):
    global _HANDLERS_INSTALLED
    _LIVE.append(moto)
    if not _HANDLERS_INSTALLED:
        _HANDLERS_INSTALLED = True
        atexit.register(_stop_all)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            try:
                signal.signal(sig, _on_signal)
            except (ValueError, OSError):  # not the main thread
                pass


def start_watchdog(seconds=None):
    """Stops moto and exits 1 if this test process runs longer than `seconds`."""
    if seconds is None:
        seconds = float(os.environ.get("KUMO_TEST_WATCHDOG_S", DEFAULT_WATCHDOG_S))

    def fire():
        log("watchdog: test process still running after %.0f s; stopping moto and exiting" % seconds)
        _stop_all()
        os._exit(1)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def start_moto():
    """The process's moto server, started on first use. For setUpModule.

    Raises unittest.SkipTest when moto is missing (an error when CI=true)."""
    global _MOTO, _MOTO_SKIPPED
    if _MOTO is not None and _MOTO.running():
        return _MOTO
    try:
        _MOTO = Moto().start()
    except MotoNotFound as e:
        if ci_mode():
            raise RuntimeError("CI=true and %s" % e) from None
        _MOTO_SKIPPED = True
        raise unittest.SkipTest(str(e)) from None
    return _MOTO


def stop_moto():
    """For tearDownModule."""
    global _MOTO
    if _MOTO is not None:
        _MOTO.stop()
        if _MOTO in _LIVE:
            _LIVE.remove(_MOTO)
        _MOTO = None


def moto():
    """The running server (start_moto() must have been called)."""
    if _MOTO is None:
        raise RuntimeError("moto is not started: call kumo_fixture.start_moto() in setUpModule")
    return _MOTO


# --------------------------------------------------------------------------- kumo


def kumo_bin():
    """Path of the kumo command: $KUMO_BIN, else build/kumo in the source tree."""
    path = os.environ.get("KUMO_BIN") or os.path.join(SOURCE_DIR, "build", "kumo")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise AssertionError("kumo binary not found or not executable: %s (set KUMO_BIN)" % path)
    return path


_ISOLATED_HOME = None


def isolated_home():
    """A temp directory used as HOME for kumo runs (removed at exit)."""
    global _ISOLATED_HOME
    if _ISOLATED_HOME is None:
        _ISOLATED_HOME = tempfile.mkdtemp(prefix="kumo-home-")
        atexit.register(shutil.rmtree, _ISOLATED_HOME, True)
    return _ISOLATED_HOME


def kumo_env(env_extra=None, moto_credentials=False):
    """The environment for a kumo run.

    Inherited AWS_* variables are dropped; HOME is a temp dir; AWS_CONFIG_FILE and
    AWS_SHARED_CREDENTIALS_FILE name files that do not exist; instance metadata is
    disabled. moto_credentials adds the moto user's keys and AWS_REGION=us-east-1.
    env_extra is applied last; a value of None removes the variable."""
    home = isolated_home()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = home
    env["AWS_CONFIG_FILE"] = os.path.join(home, "no-such-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(home, "no-such-aws-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    # Loopback servers must never be reached through a proxy.
    no_proxy = "127.0.0.1,localhost"
    for var in ("NO_PROXY", "no_proxy"):
        env[var] = (env[var] + "," + no_proxy) if env.get(var) else no_proxy
    if moto_credentials:
        env.update(moto().credentials_env())
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_kumo(args, env_extra=None, input=None, timeout=60, moto_credentials=False, cwd=None):
    """Runs kumo with `args`; returns (exit code, stdout, stderr) as text.

    A run longer than `timeout` seconds is killed (its process group) and fails
    the test with what it printed so far."""
    argv = [kumo_bin()] + [str(a) for a in args]
    env = kumo_env(env_extra, moto_credentials)
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd or isolated_home(),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(
            input=input.encode() if isinstance(input, str) else input, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        _kill_group(proc, grace_s=2.0)
        out, err = proc.communicate()
        raise AssertionError(
            "kumo %s timed out after %s s\nstdout:\n%s\nstderr:\n%s"
            % (args, timeout, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        )
    except BaseException:
        _kill_group(proc, grace_s=2.0)
        raise
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def script_path(name):
    """Path of a Lua script in tests/integration/scripts/."""
    return os.path.join(SCRIPTS_DIR, name)


# --------------------------------------------------------------------------- -v lines

# One -v line per HTTP exchange names the action, the status, milliseconds and
# the attempt, e.g. "kumo: http DescribeVpcs 200 12 ms attempt 1/3". Tests
# assert on these parts, not on the exact layout.
VERBOSE_MS_RE = re.compile(r"\b\d+(\.\d+)?\s*ms\b")
VERBOSE_ATTEMPT_RE = re.compile(r"\battempt\s*#?\s*(\d+)")


def http_lines(stderr):
    """stderr lines that look like -v HTTP exchange lines (a ms count and an attempt)."""
    return [
        ln for ln in stderr.splitlines() if VERBOSE_MS_RE.search(ln) and VERBOSE_ATTEMPT_RE.search(ln)
    ]


# --------------------------------------------------------------------------- recording proxy


class RecordingProxy:
    """A plain HTTP forwarder on 127.0.0.1 that records what kumo sends.

    Point kumo's --endpoint at ``proxy.endpoint``; each request is forwarded
    unchanged (Host header included, so the signature still verifies) to
    `target_port` and recorded as a dict: method, path, headers (lower-case
    names), body (text), status. Use as a context manager or call stop()."""

    def __init__(self, target_port):
        import http.server

        self.target_port = target_port
        self.requests = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = [(k, v) for k, v in self.headers.items()]
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in headers},
                    "body": body.decode("utf-8", "replace"),
                    "status": None,
                }
                conn = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=30)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for k, v in headers:
                        if k.lower() in ("connection", "keep-alive", "proxy-connection"):
                            continue
                        conn.putheader(k, v)
                    conn.endheaders(body if body else None)
                    resp = conn.getresponse()
                    data = resp.read()
                    record["status"] = resp.status
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                            continue
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    conn.close()
                    with proxy._lock:
                        proxy.requests.append(record)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def signatures_of(requests):
    """The `Signature=<hex>` values of recorded requests' Authorization headers."""
    sigs = []
    for r in requests:
        auth = r["headers"].get("authorization", "")
        m = re.search(r"Signature=([0-9a-fA-F]+)", auth)
        if m:
            sigs.append(m.group(1))
    return sigs


# --------------------------------------------------------------------------- test case


class KumoTestCase(unittest.TestCase):
    """TestCase with a temp dir and helpers for running kumo."""

    maxDiff = None

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="kumo-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write_file(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def write_script(self, text, name="script.lua"):
        return self.write_file(name, text)

    def run_kumo(self, args, **kwargs):
        return run_kumo(args, **kwargs)

    @staticmethod
    def describe(rc, out, err):
        return "exit %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (rc, out, err)

    def assertExit(self, result, code):
        rc, out, err = result
        self.assertEqual(rc, code, "unexpected exit status\n" + self.describe(rc, out, err))

    def assertJsonStdout(self, result):
        """stdout is exactly one JSON document (whitespace around it allowed); returns it."""
        rc, out, err = result
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail("stdout is not only JSON (%s)\n%s" % (e, self.describe(rc, out, err)))

    def assertNoSecret(self, result, *secrets):
        """None of `secrets` (default: the moto secret) appears in stdout or stderr."""
        rc, out, err = result
        if not secrets:
            secrets = (moto().secret_access_key,)
        for s in secrets:
            if not s:
                continue
            self.assertNotIn(s, out, "a secret appears on stdout\n" + self.describe(rc, out, err))
            self.assertNotIn(s, err, "a secret appears on stderr\n" + self.describe(rc, out, err))


# --------------------------------------------------------------------------- main


def main():
    """unittest.main with the watchdog; exit 77 if moto was missing and all tests skipped."""
    start_watchdog()
    prog = unittest.main(module="__main__", verbosity=2, exit=False, buffer=False)
    result = prog.result
    ok = result.wasSuccessful()
    if ok and _MOTO_SKIPPED and len(result.skipped) >= result.testsRun:
        _stop_all()
        sys.exit(77)
    _stop_all()
    sys.exit(0 if ok else 1)
