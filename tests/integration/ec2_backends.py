"""ec2_backends - the two EC2s the scenario suite runs against.

* ``MotoBackend``: moto_server with signature checking on (kumo_fixture.Moto).
  kumo runs with ``--endpoint``; the requests it sends are recorded by a
  forwarding proxy.
* ``SandboxBackend``: kumo's offline EC2. kumo runs in-process with
  ``--sandbox=STATE`` (the feature users run); the same state file is served
  by ``kumo sandbox serve`` so that boto3 can create preconditions and check
  results independently. The requests kumo sent are read from the sandbox's
  own request counters in the state file (written by the simulated EC2, not
  by kumo's client code).

Both expose: ``ec2`` (a boto3 EC2 client), ``region``, and
``run(args, record=False)`` -> ``(exit code, stdout, stderr, actions)``, where
``actions`` is the list of EC2 actions the run sent (a sorted list for the
sandbox, which counts but does not order them; ``None`` unless ``record``).
"""

import json
import os
import signal
import subprocess
import tempfile
import urllib.parse

import kumo_fixture as kf


def actions_of(recorded):
    """EC2 actions of requests recorded by kumo_fixture.RecordingProxy, in order."""
    out = []
    for r in recorded:
        form = urllib.parse.parse_qs(r["body"])
        out.append(form.get("Action", ["?"])[0])
    return out


class MotoBackend:
    name = "moto"
    ordered = True  # the recorded actions keep their order

    def start(self):
        self.moto = kf.start_moto()
        self.region = kf.MOTO_REGION
        self.ec2 = self.moto.ec2

    def stop(self):
        kf.stop_moto()

    def run(self, args, record=False, env_extra=None):
        port = int(self.moto.endpoint.rsplit(":", 1)[1])
        if not record:
            rc, out, err = kf.run_kumo(list(args) + ["--endpoint", self.moto.endpoint],
                                       moto_credentials=True, env_extra=env_extra)
            return rc, out, err, None
        with kf.RecordingProxy(port) as proxy:
            rc, out, err = kf.run_kumo(list(args) + ["--endpoint", proxy.endpoint],
                                       moto_credentials=True, env_extra=env_extra)
        return rc, out, err, actions_of(proxy.requests)


class SandboxBackend:
    name = "sandbox"
    ordered = False  # the sandbox counts requests per action; it keeps no order

    def start(self):
        import boto3

        self.dir = tempfile.mkdtemp(prefix="kumo-sandbox-")
        self.state = os.path.join(self.dir, "state.json")
        self.region = "us-east-1"
        self.server = subprocess.Popen(
            [kf.kumo_bin(), "sandbox", "serve", "--state", self.state, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            env=kf.kumo_env())
        line = self.server.stdout.readline().decode().strip()
        if not line.startswith("http://127.0.0.1:"):
            err = self.server.stderr.read().decode()
            self.stop()
            raise AssertionError("kumo sandbox serve did not start: %r %s" % (line, err))
        self.endpoint = line
        self.ec2 = boto3.client(
            "ec2", endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id=self.access_key_id(), aws_secret_access_key=self.secret())

    @staticmethod
    def access_key_id():
        return "AKIASANDBOXKUMO00001"

    @staticmethod
    def secret():
        return "kumo/sandbox/not-a-secret/0000000000000000"

    def stop(self):
        if getattr(self, "server", None) and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
        if getattr(self, "server", None):
            self.server.stdout.close()
            self.server.stderr.close()

    def counters(self):
        """Requests per action the sandbox has served, from the state file."""
        try:
            with open(self.state) as f:
                state = json.load(f)
        except FileNotFoundError:
            return {}
        return dict(state.get("requests", {}).get("by_action", {}))

    def run(self, args, record=False, env_extra=None):
        before = self.counters() if record else None
        env = {"AWS_REGION": self.region}
        env.update(env_extra or {})
        rc, out, err = kf.run_kumo(list(args) + ["--sandbox=" + self.state], env_extra=env)
        if not record:
            return rc, out, err, None
        after = self.counters()
        actions = []
        for action in sorted(after):
            actions += [action] * (after[action] - before.get(action, 0))
        return rc, out, err, actions


BACKENDS = {"moto": MotoBackend, "sandbox": SandboxBackend}


def from_argv(argv):
    """Picks the backend named by `--backend NAME` in argv (removed from it); default moto."""
    name = "moto"
    if "--backend" in argv:
        i = argv.index("--backend")
        name = argv[i + 1]
        del argv[i:i + 2]
    if name not in BACKENDS:
        raise SystemExit("unknown backend %r (moto or sandbox)" % name)
    return BACKENDS[name]()
