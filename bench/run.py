#!/usr/bin/env python3
"""kumo benchmark: the bundled job done by kumo, boto3, the AWS CLI, and the endpoint's floor.

    python3 bench/run.py [--iterations N] [--kumo PATH] [--keep-going] [--tools LIST]
                         [--json FILE] [--kumo-trace]

One run, one local moto_server (started here on a free 127.0.0.1 port, without
signature checking, stopped by its PID at the end whatever happens). "The job"
is what scripts/zenn_clone_sg.lua does on a first run: in the VPC tagged
Name=<prefix>-vpc create <prefix>-ecs-backend-security-group (inbound tcp 80
from 0.0.0.0/0 and ::/0), then <prefix>-rds-security-group (inbound tcp 3306
from the first group). Every timed run gets its own fresh VPC (made with boto3
beforehand, untimed) and a unique prefix, and is checked afterwards (untimed).

Tools, interleaved per iteration (kumo, boto3, cli, floor, kumo, ...):
  kumo   `kumo run scripts/zenn_clone_sg.lua --var prefix=P --output -`, a fresh process
  boto3  `python3 bench/job_boto3.py --prefix P`, a fresh interpreter process
  cli    five `aws ec2 ...` commands, each its own process (AWS CLI v1)
  floor  the exact requests kumo sent (recorded once through a proxy), replayed
         raw and sequentially from this process; no process, no signing
See bench/README.md for how to read the output. This is a benchmark, not a test.
"""
import argparse
import itertools
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCRIPT = os.path.join(REPO, "scripts", "zenn_clone_sg.lua")
JOB_BOTO3 = os.path.join(HERE, "job_boto3.py")
REGION = "us-east-1"
ALL_TOOLS = ("kumo", "boto3", "cli", "floor")

# The targets: (tool whose median is compared with kumo's, minimum ratio).
TARGETS = (("boto3", 10.0, "kumo >= 10x faster than boto3 (a fresh python3 process)"),
           ("cli", 50.0, "kumo >= 50x faster than the AWS CLI (five commands)"))
FLOOR_TARGET = 1.5  # kumo within 1.5x of the floor


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(seconds):
    return seconds * 1000.0


# ---------------------------------------------------------------- raw HTTP/1.1

class Reader:
    """Buffered reads from a socket that keep the exact bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def until(self, marker):
        while marker not in self.buf:
            if not self._fill():
                return None
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise BenchError("connection closed inside a message body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        while self._fill():
            pass
        out, self.buf = self.buf, b""
        return out


def parse_head(head):
    lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return lines[0].decode("latin-1"), headers


def read_body(reader, headers, to_eof):
    """Returns the body's raw bytes as sent (chunk framing kept) and the decoded body."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw, body = b"", b""
        while True:
            size_line = reader.until(b"\r\n")
            if size_line is None:
                raise BenchError("connection closed inside a chunked body")
            raw += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    line = reader.until(b"\r\n")
                    if line is None:
                        raise BenchError("connection closed inside chunk trailers")
                    raw += line
                    if line == b"\r\n":
                        return raw, body
            chunk = reader.exact(size + 2)
            raw += chunk
            body += chunk[:-2]
    if "content-length" in headers:
        body = reader.exact(int(headers["content-length"]))
        return body, body
    if to_eof:
        body = reader.rest()
        return body, body
    return b"", b""


def read_message(reader, is_response):
    """One HTTP/1.1 message: (raw bytes, start line, headers, decoded body) or None at EOF."""
    head = reader.until(b"\r\n\r\n")
    if head is None:
        return None
    start, headers = parse_head(head)
    if is_response and start.split(" ")[1:2] and start.split(" ")[1].startswith("1"):
        # an interim 1xx answer: pass it on, the real answer follows
        nxt = read_message(reader, True)
        return (head + nxt[0],) + nxt[1:]
    raw_body, body = read_body(reader, headers, to_eof=is_response)
    return head + raw_body, start, headers, body


def wants_close(start, headers):
    conn = headers.get("connection", "").lower()
    return "close" in conn or start.startswith("HTTP/1.0") and "keep-alive" not in conn


def action_of(body):
    m = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body or b"")
    return m.group(1).decode() if m else "?"


# ---------------------------------------------------------------- recording proxy

class RecordingProxy:
    """A threaded HTTP/1.1 reverse proxy on 127.0.0.1 that forwards to moto byte for byte
    and keeps every exchange: (tag, client connection number, request bytes, response bytes).
    It honours keep-alive on both sides as far as the upstream does (moto's werkzeug server
    answers `Connection: close`, which is forwarded, so the client reconnects)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.records = []
        self.tag = None
        self.lock = threading.Lock()
        self.conn_ids = itertools.count(1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        conn_id = next(self.conn_ids)
        upstream = None
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            creader = Reader(client)
            while True:
                msg = read_message(creader, is_response=False)
                if msg is None:
                    return
                raw, start, headers, _body = msg
                forward = raw
                if headers.get("expect", "").lower() == "100-continue":
                    # We already read the body; drop the Expect line going upstream.
                    forward = re.sub(rb"(?im)^expect:[^\r\n]*\r\n", b"", raw, count=1)
                if upstream is None:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    ureader = Reader(upstream)
                upstream.sendall(forward)
                resp = read_message(ureader, is_response=True)
                if resp is None:
                    raise BenchError("moto closed the connection without an answer")
                client.sendall(resp[0])
                with self.lock:
                    self.records.append({"tag": self.tag, "conn": conn_id,
                                         "request": raw, "response": resp[0]})
                if wants_close(resp[1], resp[2]):
                    return  # forwarded Connection: close; the client reconnects
        except (OSError, BenchError) as e:
            log(f"proxy: connection {conn_id}: {e}")
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def take(self, tag):
        with self.lock:
            return [r for r in self.records if r["tag"] == tag]

    def close(self):
        self.closed = True
        self.sock.close()


# ---------------------------------------------------------------- the floor: raw replay

class Replayer:
    """Replays recorded requests to moto over one connection, kept alive for as long as the
    server allows (moto_server closes after every answer, so then one connection per request).
    Substitutes the VPC id, the prefix and group ids (mapped from the recorded CreateSecurity
    Group answers to the new ones as they arrive) and fixes Content-Length and Host. The
    signatures are then stale: this only works because moto runs without signature checks."""

    GROUP_ID = re.compile(rb"<groupId>(sg-[0-9a-zA-Z]+)</groupId>")

    def __init__(self, records, old_vpc, old_prefix, port):
        self.port = port
        self.old_vpc = old_vpc.encode()
        self.old_prefix = old_prefix.encode()
        self.exchanges = []
        for r in records:
            head, _, body = r["request"].partition(b"\r\n\r\n")
            if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
                raise BenchError("floor: chunked request bodies are not supported")
            old_ids = []
            if b"CreateSecurityGroupResponse" in r["response"]:
                old_ids = self.GROUP_ID.findall(r["response"])
            self.exchanges.append((head, body, old_ids))
        self.connections = 0

    def _prepare(self, head, body, subst):
        pattern = re.compile(b"|".join(re.escape(k) for k in sorted(subst, key=len, reverse=True)))
        body = pattern.sub(lambda m: subst[m.group(0)], body)
        head = re.sub(rb"(?im)^content-length:[^\r\n]*", b"Content-Length: %d" % len(body), head)
        head = re.sub(rb"(?im)^host:[^\r\n]*", b"Host: 127.0.0.1:%d" % self.port, head)
        head = re.sub(rb"(?im)^expect:[^\r\n]*\r\n", b"", head)
        return head + b"\r\n\r\n" + body

    def run(self, new_vpc, new_prefix):
        """One job. Returns (seconds, requests, connections)."""
        subst = {self.old_vpc: new_vpc.encode(), self.old_prefix: new_prefix.encode()}
        sock = reader = None
        connections = 0
        t0 = time.perf_counter()
        try:
            for head, body, old_ids in self.exchanges:
                raw = self._prepare(head, body, subst)
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port))
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    reader = Reader(sock)
                    connections += 1
                sock.sendall(raw)
                resp = read_message(reader, is_response=True)
                if resp is None:
                    raise BenchError("floor: moto closed the connection without an answer")
                _, start, headers, resp_body = resp
                if " 200 " not in start + " ":
                    raise BenchError(f"floor: {action_of(body)} answered {start}: "
                                     f"{resp_body[:300]!r}")
                if old_ids:
                    new_ids = self.GROUP_ID.findall(resp_body)
                    if len(new_ids) != len(old_ids):
                        raise BenchError("floor: unexpected CreateSecurityGroup answer")
                    subst.update(zip(old_ids, new_ids))
                if wants_close(start, headers):
                    sock.close()
                    sock = None
            elapsed = time.perf_counter() - t0
        finally:
            if sock is not None:
                sock.close()
        return elapsed, len(self.exchanges), connections


# ---------------------------------------------------------------- moto

class Moto:
    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, "moto_server.log")
        self.proc = None

    def command(self):
        beside = os.path.join(os.path.dirname(sys.executable), "moto_server")
        if os.access(beside, os.X_OK):
            return [beside]
        try:
            import moto.server  # noqa: F401
            return [sys.executable, "-m", "moto.server"]
        except ImportError:
            pass
        found = shutil.which("moto_server")
        if found:
            return [found]
        raise BenchError("moto_server not found (pip install 'moto[server]')")

    def start(self):
        env = dict(os.environ)
        env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)  # no signature checks: see the floor
        env.pop("MOTO_PORT", None)
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(
                self.command() + ["-H", "127.0.0.1", "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"moto_server exited with {self.proc.returncode}; "
                                 f"see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise BenchError("moto_server did not start listening within 30 s")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# ---------------------------------------------------------------- the tools

def resolve_script(name):
    """The real entry point of a Python console script, not a pyenv shim (a shim adds tens
    of milliseconds of bash and `pyenv exec` to every start, which is not the tool's cost)."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if found and "/shims/" in found and shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "which", name], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return found


def run_proc(argv, env, timeout=120):
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip()
        raise BenchError(f"{' '.join(argv[:4])} ... exited {p.returncode}: "
                         f"{err[:600]}{' [...]' if len(err) > 600 else ''}")
    return elapsed, p.stdout.decode(errors="replace")


class Tools:
    def __init__(self, args, env):
        self.args = args
        self.env = env
        self.aws = resolve_script("aws")

    def env_for(self, endpoint):
        env = dict(self.env)
        env["AWS_ENDPOINT_URL_EC2"] = endpoint
        return env

    def kumo(self, prefix, endpoint, extra=()):
        elapsed, out = run_proc([self.args.kumo, "run", self.args.script, "--var", f"prefix={prefix}",
                                 "--output", "-", *extra], self.env_for(endpoint))
        try:
            result = json.loads(out)
        except ValueError:
            raise BenchError(f"kumo: stdout is not JSON: {out[:300]!r}")
        return elapsed, result, {}

    def boto3(self, prefix, endpoint):
        elapsed, out = run_proc([sys.executable, JOB_BOTO3, "--prefix", prefix],
                                self.env_for(endpoint))
        result = json.loads(out)
        return elapsed, result, {"boto3 calls": result["calls_ms"] / 1000.0}

    def cli(self, prefix, endpoint):
        if not self.aws:
            raise BenchError("the AWS CLI (`aws`) is not on PATH")
        env = self.env_for(endpoint)
        aws = [self.aws, "ec2", "--output", "text"]
        ecs, rds = prefix + "-ecs-backend-security-group", prefix + "-rds-security-group"

        def tags(name):
            return f"ResourceType=security-group,Tags=[{{Key=Name,Value={name}}}]"

        total = 0.0
        t, vpc = run_proc(aws + ["describe-vpcs", "--filters", f"Name=tag:Name,Values={prefix}-vpc",
                                 "--query", "Vpcs[0].VpcId"], env)
        total += t
        vpc = vpc.strip()
        t, ecs_id = run_proc(aws + ["create-security-group", "--group-name", ecs,
                                    "--description", "ECS backend: HTTP from anywhere",
                                    "--vpc-id", vpc, "--tag-specifications", tags(ecs),
                                    "--query", "GroupId"], env)
        total += t
        ecs_id = ecs_id.strip()
        t, _ = run_proc(aws + ["authorize-security-group-ingress", "--group-id", ecs_id,
                               "--ip-permissions", json.dumps([{
                                   "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                   "IpRanges": [{"CidrIp": "0.0.0.0/0",
                                                 "Description": "HTTP from anywhere (IPv4)"}],
                                   "Ipv6Ranges": [{"CidrIpv6": "::/0",
                                                   "Description": "HTTP from anywhere (IPv6)"}]}])],
                        env)
        total += t
        t, rds_id = run_proc(aws + ["create-security-group", "--group-name", rds,
                                    "--description", "RDS: MySQL from ECS backend only",
                                    "--vpc-id", vpc, "--tag-specifications", tags(rds),
                                    "--query", "GroupId"], env)
        total += t
        rds_id = rds_id.strip()
        t, _ = run_proc(aws + ["authorize-security-group-ingress", "--group-id", rds_id,
                               "--ip-permissions", json.dumps([{
                                   "IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
                                   "UserIdGroupPairs": [{"GroupId": ecs_id,
                                                         "Description": "MySQL from ECS backend"}]}])],
                        env)
        total += t
        return total, {"vpc_id": vpc, "ecs_backend_security_group_id": ecs_id,
                       "rds_security_group_id": rds_id}, {}


# ---------------------------------------------------------------- fixtures (untimed)

class Fixtures:
    def __init__(self, endpoint):
        import boto3
        self.ec2 = boto3.session.Session(region_name=REGION).client(
            "ec2", endpoint_url=endpoint, aws_access_key_id="testing",
            aws_secret_access_key="testing")

    def make_vpc(self, prefix):
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{
            "ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": prefix + "-vpc"}]}])
        return vpc["Vpc"]["VpcId"]

    def verify(self, prefix, vpc_id, result):
        """Checks in moto that the job was done; returns the group ids (for cleanup)."""
        ecs_name, rds_name = prefix + "-ecs-backend-security-group", prefix + "-rds-security-group"
        groups = self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": [ecs_name, rds_name]}])["SecurityGroups"]
        by_name = {g["GroupName"]: g for g in groups}
        ids = [g["GroupId"] for g in groups]
        problems = []
        ecs, rds = by_name.get(ecs_name), by_name.get(rds_name)
        if ecs is None or rds is None:
            problems.append(f"groups found: {sorted(by_name)}")
        else:
            perms = ecs["IpPermissions"]
            v4 = any(p.get("FromPort") == 80 and p.get("ToPort") == 80 and p["IpProtocol"] == "tcp"
                     and any(r["CidrIp"] == "0.0.0.0/0" for r in p.get("IpRanges", []))
                     for p in perms)
            v6 = any(p.get("FromPort") == 80 and p.get("ToPort") == 80 and p["IpProtocol"] == "tcp"
                     and any(r["CidrIpv6"] == "::/0" for r in p.get("Ipv6Ranges", []))
                     for p in perms)
            ref = any(p.get("FromPort") == 3306 and p.get("ToPort") == 3306
                      and p["IpProtocol"] == "tcp"
                      and any(u["GroupId"] == ecs["GroupId"] for u in p.get("UserIdGroupPairs", []))
                      for p in rds["IpPermissions"])
            if not (v4 and v6):
                problems.append(f"{ecs_name} inbound: {perms}")
            if not ref:
                problems.append(f"{rds_name} inbound: {rds['IpPermissions']}")
            if result is not None:
                want = {"vpc_id": vpc_id, "ecs_backend_security_group_id": ecs["GroupId"],
                        "rds_security_group_id": rds["GroupId"]}
                got = {k: result.get(k) for k in want}
                if got != want:
                    problems.append(f"output {got} != {want}")
        if problems:
            raise BenchError("job not done as declared: " + "; ".join(problems))
        return ids

    def cleanup(self, vpc_id):
        """Deletes what a run made, so moto's state (and its per-request cost) stays the same
        size through the run."""
        try:
            groups = self.ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
            extra = [g for g in groups if g["GroupName"] != "default"]
            # the referencing group first
            extra.sort(key=lambda g: 0 if g["GroupName"].endswith("-rds-security-group") else 1)
            for g in extra:
                self.ec2.delete_security_group(GroupId=g["GroupId"])
            self.ec2.delete_vpc(VpcId=vpc_id)
        except Exception as e:  # noqa: BLE001 - cleanup only; never fails the benchmark
            log(f"cleanup of {vpc_id}: {e}")


# ---------------------------------------------------------------- statistics and report

def p90(values):
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def fmt_ms(seconds):
    return f"{ms(seconds):.1f}"


def version_of(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout.strip() or p.stderr.strip()).splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def main(argv=None):
    ap = argparse.ArgumentParser(description="kumo benchmark (see bench/README.md)")
    ap.add_argument("--iterations", "-n", type=int, default=15,
                    help="timed iterations per tool (default 15)")
    ap.add_argument("--kumo", default=os.path.join(REPO, "build", "kumo"),
                    help="the kumo binary (default: build/kumo in the repository)")
    ap.add_argument("--script", default=SCRIPT,
                    help="the Lua script kumo runs (default: scripts/zenn_clone_sg.lua; for "
                         "experiments: it must do the same job and take --var prefix)")
    ap.add_argument("--keep-going", action="store_true",
                    help="record a failed run and go on (default: stop at the first failure)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help="comma-separated subset of kumo,boto3,cli,floor (default: all)")
    ap.add_argument("--json", metavar="FILE", help="also write every sample as JSON to FILE")
    ap.add_argument("--kumo-trace", action="store_true",
                    help="at the end, show `kumo run -v` of one extra (untimed) job")
    args = ap.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    bad = [t for t in tools if t not in ALL_TOOLS]
    if bad or not tools or args.iterations < 1:
        ap.error(f"--tools: unknown {bad}" if bad else "nothing to run")
    args.kumo = os.path.abspath(args.kumo)
    args.script = os.path.abspath(args.script)
    if "kumo" in tools and not os.access(args.kumo, os.X_OK):
        msg = f"kumo binary not found or not executable: {args.kumo} (use --kumo PATH)"
        if not args.keep_going:
            log(msg)
            return 2
        log(msg + "; going on without it")

    workdir = tempfile.mkdtemp(prefix="kumo-bench-")
    moto = Moto(workdir)
    proxy = None

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        log(f"starting moto_server on {moto.url} (no signature checks; log {moto.log_path})")
        moto.start()
        return bench(args, tools, moto, workdir)
    except KeyboardInterrupt as e:
        log(f"interrupted ({e})")
        return 130
    except BenchError as e:
        log(f"bench: {e}")
        return 1
    finally:
        moto.stop()
        log(f"moto_server (pid {moto.proc.pid if moto.proc else '-'}) stopped")
        shutil.rmtree(workdir, ignore_errors=True)


def bench(args, tools, moto, workdir):
    proxy = RecordingProxy(moto.port)
    try:
        return _bench(args, tools, moto, workdir, proxy)
    finally:
        proxy.close()


def _bench(args, tools, moto, workdir, proxy):
    run_id = uuid.uuid4().hex[:6]
    cfg = os.path.join(workdir, "no-such-aws-config")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": cfg,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    env.pop("KUMO_STDLIB_PATH", None)  # the shipped, compiled-in stdlib
    fx = Fixtures(moto.url)
    t = Tools(args, env)
    failures = {tool: [] for tool in tools}
    enabled = {tool: True for tool in tools}
    counts = {}

    def fail(tool, where, err):
        failures[tool].append(f"{where}: {err}")
        log(f"FAILED {tool} ({where}): {err}")
        if not args.keep_going:
            raise BenchError(f"{tool} failed ({where}); use --keep-going to go on")

    # -- 1. one untimed job per process tool through the recording proxy: requests per job,
    #       connections per job, warm-up; kumo's exchanges become the floor's script.
    replayer = None
    floor_source = None
    rec_info = {}
    # (boto3 is also recorded when only the floor needs it: its fallback if kumo fails)
    for tool in [x for x in ("kumo", "boto3", "cli")
                 if x in tools or (x != "cli" and "floor" in tools)]:
        if tool == "kumo" and not os.access(args.kumo, os.X_OK):
            continue
        prefix = f"kb{run_id}-rec-{tool}"
        vpc = fx.make_vpc(prefix)
        proxy.tag = tool
        try:
            _, result, _ = getattr(t, tool)(prefix, f"http://127.0.0.1:{proxy.port}")
            fx.verify(prefix, vpc, result)
        except (BenchError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            if tool in tools:
                fail(tool, "counting run", e)
                enabled[tool] = False
            continue
        finally:
            proxy.tag = None
        recs = proxy.take(tool)
        counts[tool] = {"requests": len(recs), "connections": len({r["conn"] for r in recs}),
                        "actions": [action_of(r["request"].partition(b"\r\n\r\n")[2])
                                    for r in recs]}
        rec_info[tool] = (recs, vpc, prefix)
        fx.cleanup(vpc)
    if "floor" in tools:
        source = "kumo" if "kumo" in rec_info else ("boto3" if "boto3" in rec_info else None)
        if source is None:
            fail("floor", "setup", "no recorded kumo requests to replay (kumo did not run)")
            enabled["floor"] = False
        else:
            if source != "kumo":
                log("floor: kumo did not run; replaying boto3's requests instead (labelled)")
            floor_source = source
            recs, vpc, prefix = rec_info[source]
            replayer = Replayer(recs, vpc, prefix, moto.port)
            # one untimed replay to check the substitution works before timing it
            check_prefix = f"kb{run_id}-chk-floor"
            check_vpc = fx.make_vpc(check_prefix)
            try:
                _, n, c = replayer.run(check_vpc, check_prefix)
                fx.verify(check_prefix, check_vpc, None)
                counts["floor"] = {"requests": n, "connections": c,
                                   "actions": counts[source]["actions"]}
            except BenchError as e:
                fail("floor", "check replay", e)
                enabled["floor"] = False
            fx.cleanup(check_vpc)
    if "kumo" in tools and "kumo" not in rec_info:
        enabled["kumo"] = False  # missing binary, or its counting run failed

    # -- 2. the timed, interleaved iterations
    samples = {tool: [] for tool in tools}
    extra = {"boto3 calls": []}
    empty_script = os.path.join(workdir, "empty.lua")
    with open(empty_script, "w") as f:
        f.write("return {}\n")
    kumo_empty = []
    n = args.iterations
    log(f"running {n} iterations of: {', '.join(x for x in tools if enabled[x])}")
    started = time.perf_counter()
    for i in range(n):
        for tool in tools:
            if not enabled[tool]:
                continue
            prefix = f"kb{run_id}-{tool}{i:02d}"
            vpc = fx.make_vpc(prefix)
            try:
                if tool == "floor":
                    elapsed, _, _ = replayer.run(vpc, prefix)
                    result, more = None, {}
                else:
                    elapsed, result, more = getattr(t, tool)(prefix, moto.url)
                fx.verify(prefix, vpc, result)
            except (BenchError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
                fail(tool, f"iteration {i + 1}", e)
                fx.cleanup(vpc)
                continue
            samples[tool].append(elapsed)
            for k, v in more.items():
                extra[k].append(v)
            fx.cleanup(vpc)
        if enabled.get("kumo"):  # reference: kumo's start-up and exit, no requests
            try:
                kumo_empty.append(run_proc([args.kumo, "run", empty_script, "--output", "-"],
                                           t.env_for(moto.url))[0])
            except BenchError as e:
                log(f"kumo empty script: {e}")
        log(f"  iteration {i + 1}/{n} done ({time.perf_counter() - started:.1f} s)")

    # -- 3. report
    report(args, tools, samples, extra, kumo_empty, counts, failures, floor_source, t, moto)
    if args.kumo_trace and enabled.get("kumo"):
        prefix = f"kb{run_id}-trace"
        vpc = fx.make_vpc(prefix)
        p = subprocess.run([args.kumo, "run", args.script, "--var", f"prefix={prefix}", "--output", "-",
                            "-v"], env=t.env_for(moto.url), capture_output=True, text=True)
        print(f"\n`kumo run -v` of one more job (exit {p.returncode}); stderr:")
        print(p.stderr.rstrip())
        fx.cleanup(vpc)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"iterations": n, "samples_s": samples, "extra_s": extra,
                       "kumo_empty_s": kumo_empty, "counts": counts, "failures": failures,
                       "floor_source": floor_source}, f, indent=2)
    return 1 if any(failures.values()) else 0


def report(args, tools, samples, extra, kumo_empty, counts, failures, floor_source, t, moto):
    labels = {
        "kumo": "kumo (process: kumo run ...)",
        "boto3": "boto3 (process: python3 job_boto3.py)",
        "cli": "AWS CLI (5 processes: aws ec2 ...)",
        "floor": "floor (raw replay of kumo's requests)" if floor_source in (None, "kumo")
                 else f"floor (raw replay of {floor_source}'s requests; kumo missing)",
    }
    kumo_med = statistics.median(samples["kumo"]) if samples.get("kumo") else None
    print()
    print("kumo benchmark: the bundled job (2 security groups, first run), "
          f"{args.iterations} iterations, tools interleaved")
    print(f"  kumo:   {args.kumo} ({version_of([args.kumo, 'version']) if 'kumo' in tools else '-'})"
          f", {os.path.relpath(args.script, REPO)}")
    print(f"  boto3:  {sys.executable} {os.path.relpath(JOB_BOTO3, os.getcwd())}")
    print(f"  aws:    {t.aws} ({version_of([t.aws, '--version']) if t.aws and 'cli' in tools else '-'})")
    import moto as moto_pkg
    print(f"  moto:   moto_server {moto_pkg.__version__} at {moto.url}, no signature checks")
    print(f"  host:   {platform.platform()}, {os.cpu_count()} CPUs, "
          f"load {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    head = f"{'tool':<50} {'median ms':>10} {'p90 ms':>9} {'min ms':>8} {'req/job':>8} " \
           f"{'conn/job':>8} {'x kumo':>8}"
    print(head)
    print("-" * len(head))

    def row(label, vals, count=None, ratio=True):
        if not vals:
            print(f"{label:<50} {'n/a':>10}")
            return
        med = statistics.median(vals)
        r = f"{med / kumo_med:.1f}x" if ratio and kumo_med else "-"
        req = str(count["requests"]) if count else "-"
        conn = str(count["connections"]) if count else "-"
        print(f"{label:<50} {fmt_ms(med):>10} {fmt_ms(p90(vals)):>9} {fmt_ms(min(vals)):>8} "
              f"{req:>8} {conn:>8} {r:>8}")

    for tool in tools:
        row(labels[tool], samples[tool], counts.get(tool))
    print("reference rows (not targets):")
    if "boto3" in tools:
        row("  boto3 calls only (in its process, client made)", extra["boto3 calls"],
            counts.get("boto3"))
    if "kumo" in tools:
        row("  kumo run of an empty script (start+exit)", kumo_empty)
    print()
    for tool in tools:
        c = counts.get(tool)
        if c:
            print(f"  {tool} requests: {' '.join(c['actions'])}")
    print("  (requests and connections per job: counted through a recording proxy on one extra,"
          " untimed job of each tool;\n   moto_server's werkzeug answers `Connection: close`,"
          " so every client, and the floor, needs one TCP connection per request)")
    print(f"  floor: {floor_source or 'kumo'}'s recorded requests replayed raw from this process, sequentially; the VPC id,"
          " prefix and\n   group ids are substituted and Content-Length fixed, so the signatures are stale"
          " - valid only because\n   moto runs without signature checking.")
    print()
    print("targets:")
    floor_med = statistics.median(samples["floor"]) if samples.get("floor") else None
    for tool, want, text in TARGETS:
        if kumo_med and samples.get(tool):
            got = statistics.median(samples[tool]) / kumo_med
            print(f"  {'PASS' if got >= want else 'MISS'}  {text}: {got:.1f}x")
        else:
            print(f"  n/a   {text}: not measured")
    text = f"kumo within {FLOOR_TARGET}x of the floor"
    if kumo_med and floor_med and floor_source == "kumo":
        got = kumo_med / floor_med
        print(f"  {'PASS' if got <= FLOOR_TARGET else 'MISS'}  {text}: kumo/floor = {got:.2f}x "
              f"({fmt_ms(kumo_med - floor_med)} ms above it)")
        if kumo_empty:
            print(f"        kumo is {fmt_ms(kumo_med - floor_med)} ms above the floor; starting and "
                  f"exiting kumo with an empty script takes {fmt_ms(statistics.median(kumo_empty))}"
                  f" ms (median)")
    else:
        print(f"  n/a   {text}: not measured")
    bad = {k: v for k, v in failures.items() if v}
    if bad:
        print("\nfailures:")
        for tool, msgs in bad.items():
            for m in msgs:
                print(f"  {tool}: {m[:500]}")


if __name__ == "__main__":
    sys.exit(main())
