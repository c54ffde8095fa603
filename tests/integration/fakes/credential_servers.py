"""credential_servers - fake EC2 instance metadata (IMDSv2) and container
credential endpoints for kumo's credential tests.

Both listen on 127.0.0.1 free ports only, in a daemon thread, record every
request (method, path, headers), and are stopped by ``stop()`` (also on
``with`` exit). A ``mode`` attribute selects a failure:

FakeIMDS modes: "ok"; "reject_token" (every GET answers 401, as for a wrong
token); "no_role" (the role listing answers 404); "slow" (every answer waits
``delay_s`` first); "bad_json" (the credentials document is not JSON);
"not_success" (Code is not "Success"). A GET whose x-aws-ec2-metadata-token
is not the issued token always answers 401, and a PUT without the TTL header
answers 400, as the real service does.

FakeContainer modes: "ok", "slow", "bad_json", "error_500". A request whose
Authorization is not ``expected_token`` answers 401 (when expected_token is
set).

Only the Python standard library is used.
"""

import http.server
import json
import socketserver
import threading
import time


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Base:
    def __init__(self, handler_factory):
        self.requests = []
        self.mode = "ok"
        self.delay_s = 3.0
        self._server = _Server(("127.0.0.1", 0), handler_factory(self))
        self.port = self._server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _handler(fake, answer):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            fake.requests.append(
                {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()}}
            )
            if fake.mode == "slow":
                time.sleep(fake.delay_s)
            status, body = answer(self.command, self.path, self.headers)
            data = body.encode() if isinstance(body, str) else body
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        do_GET = do_PUT = do_POST = _handle

    return Handler


def credentials_document(access_key_id, secret_access_key, token, expiration, code=True):
    doc = {"AccessKeyId": access_key_id, "SecretAccessKey": secret_access_key,
           "Token": token, "Expiration": expiration}
    if code:
        doc.update({"Code": "Success", "LastUpdated": "2024-01-01T00:00:00Z", "Type": "AWS-HMAC"})
    return doc


class FakeIMDS(_Base):
    TOKEN = "imds-session-token-AQAEAExample"
    ROLE = "kumo-test-role"

    def __init__(self, access_key_id, secret_access_key, token="", expiration="2099-01-01T00:00:00Z"):
        self.document = credentials_document(access_key_id, secret_access_key, token, expiration)
        super().__init__(lambda fake: _handler(fake, fake._answer))

    def _answer(self, method, path, headers):
        prefix = "/latest/meta-data/iam/security-credentials/"
        if method == "PUT" and path == "/latest/api/token":
            if not headers.get("x-aws-ec2-metadata-token-ttl-seconds"):
                return 400, ""
            return 200, self.TOKEN
        if method != "GET" or not path.startswith(prefix):
            return 404, "Not Found"
        if self.mode == "reject_token" or headers.get("x-aws-ec2-metadata-token") != self.TOKEN:
            return 401, ""
        if path == prefix:
            return (404, "Not Found") if self.mode == "no_role" else (200, self.ROLE)
        if path != prefix + self.ROLE:
            return 404, "Not Found"
        if self.mode == "bad_json":
            return 200, '{"Code": "Success", "AccessKeyId": '
        if self.mode == "not_success":
            return 200, json.dumps({"Code": "AssumeRoleUnauthorizedAccess"})
        return 200, json.dumps(self.document)


class FakeContainer(_Base):
    PATH = "/v2/credentials/kumo-test"

    def __init__(self, access_key_id, secret_access_key, token="", expected_token=None,
                 expiration="2099-01-01T00:00:00Z"):
        self.expected_token = expected_token
        self.document = credentials_document(access_key_id, secret_access_key, token, expiration,
                                             code=False)
        super().__init__(lambda fake: _handler(fake, fake._answer))

    def _answer(self, method, path, headers):
        if self.expected_token is not None and headers.get("Authorization") != self.expected_token:
            return 401, '{"message": "bad token"}'
        if method != "GET" or path != self.PATH:
            return 404, "Not Found"
        if self.mode == "error_500":
            return 500, "oops"
        if self.mode == "bad_json":
            return 200, '{"AccessKeyId": '
        return 200, json.dumps(self.document)
