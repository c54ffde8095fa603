"""tests/integration/test_http_transport.py - the libcurl transport
(runtime/aws/http.c) against local HTTP and HTTPS servers, through the
tests/tools/http_driver.c command (test "http.transport").

The servers listen on 127.0.0.1 free ports only, record every connection and
request, and are stopped after each test. The HTTPS server uses a throwaway
CA and certificate generated in a temporary directory at test time.

Usage: test_http_transport.py PATH/TO/kumo_http_driver [unittest args]
(or set KUMO_HTTP_DRIVER).
"""

import datetime
import ipaddress
import json
import os
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from urllib.parse import parse_qs, urlsplit

DRIVER = os.environ.get("KUMO_HTTP_DRIVER")
if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    DRIVER = sys.argv.pop(1)

FIXED_DATE = "Tue, 03 Dec 2024 10:00:00 GMT"
REQUEST_ID = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


def driver_environment():
    """The environment without proxies or CA overrides that would change what
    libcurl does."""
    env = dict(os.environ)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR",
                 "CURL_CA_BUNDLE"):
        env.pop(name, None)
    return env


def make_certificates(directory):
    """Writes ca.pem, server.pem and server.key (a server certificate for IP
    127.0.0.1 only, signed by a one-day CA) and returns their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kumo throwaway test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False)
        .sign(ca_key, hashes.SHA256()))
    paths = {name: os.path.join(directory, name)
             for name in ("ca.pem", "server.pem", "server.key")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.pem"], "wb") as f:
        f.write(server_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.key"], "wb") as f:
        f.write(server_key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    return paths


class Handler(socketserver.BaseRequestHandler):
    """A small HTTP/1.1 server with keep-alive; the path picks the behaviour."""

    def handle(self):
        server = self.server
        server.note_connection()
        sock = self.request
        sock.settimeout(10)
        if server.tls_context is not None:
            try:
                sock = server.tls_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                server.note_tls_failure()
                return
        reader = sock.makefile("rb")
        try:
            while not server.stopping.is_set():
                line = reader.readline(65537)
                if not line:
                    return
                method, target, _version = line.decode("latin-1").split()
                headers = []
                while True:
                    header_line = reader.readline(65537)
                    if header_line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header_line.decode("latin-1").partition(":")
                    headers.append([name, value.strip()])
                lengths = [v for n, v in headers if n.lower() == "content-length"]
                body = reader.read(int(lengths[0])) if lengths else b""
                server.note_request(method, target, headers, body)
                if not self.respond(sock, method, target, headers, body):
                    return
        except (OSError, ValueError):
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass

    @staticmethod
    def send(sock, status, body=b"", extra=(), content_type="application/json"):
        head = [f"HTTP/1.1 {status}", f"Date: {FIXED_DATE}", f"x-amzn-RequestId: {REQUEST_ID}",
                f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
                "Server: kumo-test", *extra]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def respond(self, sock, method, target, headers, body):
        url = urlsplit(target)
        query = parse_qs(url.query)
        size = int(query.get("n", ["0"])[0])
        if url.path == "/echo":
            payload = json.dumps({"method": method, "path": target, "headers": headers,
                                  "body": body.decode("latin-1")}).encode()
            self.send(sock, "200 OK", payload)
            return True
        if url.path == "/redirect":
            self.send(sock, "302 Found", b"", ["Location: /echo"], "text/plain")
            return True
        if url.path == "/status":
            self.send(sock, "503 Service Unavailable", b"<Response/>", (), "text/xml")
            return True
        if url.path == "/big":
            self.send(sock, "200 OK", b"x" * size, (), "text/plain")
            return True
        if url.path == "/big-chunked":
            sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(size // 500):
                sock.sendall(b"1f4\r\n" + b"y" * 500 + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
            return True
        if url.path == "/sleep":
            self.server.stopping.wait(5)
            return False
        if url.path == "/truncated":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"z" * 10)
            return False
        if url.path == "/reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if url.path == "/empty":
            return False
        self.send(sock, "404 Not Found", b"{}")
        return True


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls_context=None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls_context = tls_context
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.connections = 0
        self.tls_failures = 0
        self.requests = []
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server_address[1]

    def note_connection(self):
        with self.lock:
            self.connections += 1

    def note_tls_failure(self):
        with self.lock:
            self.tls_failures += 1

    def note_request(self, method, target, headers, body):
        with self.lock:
            self.requests.append((method, target, headers, body))

    def stop(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TransportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not DRIVER or not os.access(DRIVER, os.X_OK):
            # part of the build, not an optional tool: missing is a failure
            raise AssertionError(f"kumo_http_driver not built ({DRIVER}): build the "
                                 "kumo_http_driver target")
        cls.tempdir = tempfile.TemporaryDirectory(prefix="kumo-http-")
        cls.certs = make_certificates(cls.tempdir.name)
        cls.env = driver_environment()

    @classmethod
    def tearDownClass(cls):
        cls.tempdir.cleanup()

    def setUp(self):
        self.http = Server()
        self.addCleanup(self.http.stop)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certs["server.pem"], self.certs["server.key"])
        self.https = Server(context)
        self.addCleanup(self.https.stop)

    def http_url(self, path):
        return f"http://127.0.0.1:{self.http.port}{path}"

    def https_url(self, path, host="127.0.0.1"):
        return f"https://{host}:{self.https.port}{path}"

    def drive(self, url, *args, expect_ok=True):
        """Runs the driver; returns its JSON lines (one per exchange)."""
        proc = subprocess.run([DRIVER, *args, url], capture_output=True, text=True, timeout=60,
                              env=self.env)
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, proc.stderr)
        results = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertTrue(results, proc.stderr)
        all_ok = all(r["result"] == "OK" for r in results)
        self.assertEqual(proc.returncode, 0 if all_ok else 1, proc.stderr)
        if expect_ok:
            self.assertTrue(all_ok, results)
        return results

    def drive_one(self, url, *args, expect_ok=True):
        results = self.drive(url, *args, expect_ok=expect_ok)
        self.assertEqual(len(results), 1)
        return results[0]

    # ---- What is sent --------------------------------------------------------

    def test_get_sends_exactly_the_given_headers(self):
        r = self.drive_one(self.http_url("/echo?a=1"), "--allow-http",
                           "--header", "X-Amz-Date: 20241203T100000Z",
                           "--header", "Authorization: AWS4-HMAC-SHA256 Credential=x",
                           "--header", "X-Empty:")
        self.assertEqual(r["status"], 200)
        echo = json.loads(r["body"])
        self.assertEqual(echo["method"], "GET")
        self.assertEqual(echo["path"], "/echo?a=1")
        self.assertEqual(echo["body"], "")
        self.assertEqual(echo["headers"], [
            ["Host", f"127.0.0.1:{self.http.port}"],
            ["X-Amz-Date", "20241203T100000Z"],
            ["Authorization", "AWS4-HMAC-SHA256 Credential=x"],
            ["X-Empty", ""],
        ])
        self.assertEqual(r["date"], FIXED_DATE)
        self.assertEqual(r["request_id"], REQUEST_ID)
        self.assertEqual(r["content_type"], "application/json")
        self.assertEqual(r["error"], "")

    def test_post_sends_body_and_headers_exactly(self):
        body = "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName"
        r = self.drive_one(self.http_url("/echo"), "--allow-http", "--method", "POST",
                           "--header",
                           "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                           "--header", "Host: ec2.example.test",
                           "--header", "X-Amz-Date: 20241203T100000Z",
                           "--body", body)
        echo = json.loads(r["body"])
        self.assertEqual(echo["method"], "POST")
        self.assertEqual(echo["body"], body)
        self.assertEqual(sorted(echo["headers"]), sorted([
            ["Host", "ec2.example.test"],
            ["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"],
            ["X-Amz-Date", "20241203T100000Z"],
            ["Content-Length", str(len(body))],
        ]))

    def test_post_large_body_no_expect_no_default_content_type(self):
        body = "A" * (2 * 1024 * 1024)
        path = os.path.join(self.tempdir.name, "large-body")
        with open(path, "w") as f:
            f.write(body)
        r = self.drive_one(self.http_url("/echo"), "--allow-http", "--method", "POST",
                           "--body-file", path, "--max-bytes", str(8 * 1024 * 1024))
        echo = json.loads(r["body"])
        self.assertEqual(len(echo["body"]), len(body))
        names = sorted(name.lower() for name, _ in echo["headers"])
        self.assertEqual(names, ["content-length", "host"])

    def test_put_with_empty_body(self):
        r = self.drive_one(self.http_url("/echo"), "--allow-http", "--method", "PUT",
                           "--header", "x-aws-ec2-metadata-token-ttl-seconds: 21600",
                           "--body", "")
        echo = json.loads(r["body"])
        self.assertEqual(echo["method"], "PUT")
        self.assertIn(["Content-Length", "0"], echo["headers"])
        self.assertIn(["x-aws-ec2-metadata-token-ttl-seconds", "21600"], echo["headers"])

    def test_header_with_newline_is_refused(self):
        r = self.drive_one(self.http_url("/echo"), "--allow-http",
                           "--header", "X-Bad: a\r\nInjected: b", expect_ok=False)
        self.assertEqual(r["result"], "FAILED")
        self.assertEqual(self.http.connections, 0)

    def test_non_2xx_status_is_returned(self):
        r = self.drive_one(self.http_url("/status"), "--allow-http")
        self.assertEqual(r["status"], 503)
        self.assertEqual(r["body"], "<Response/>")
        self.assertEqual(r["content_type"], "text/xml")

    # ---- Connection reuse ----------------------------------------------------

    def test_keep_alive_reuses_one_connection(self):
        results = self.drive(self.http_url("/echo"), "--allow-http", "--repeat", "3",
                             "--method", "POST", "--body", "x=1")
        self.assertEqual([r["status"] for r in results], [200, 200, 200])
        self.assertEqual(len(self.http.requests), 3)
        self.assertEqual(self.http.connections, 1)

    def test_keep_alive_over_https(self):
        results = self.drive(self.https_url("/echo"), "--ca", self.certs["ca.pem"],
                             "--repeat", "2")
        self.assertEqual([r["status"] for r in results], [200, 200])
        self.assertEqual(self.https.connections, 1)

    # ---- TLS ----------------------------------------------------------------

    def test_https_with_test_ca(self):
        r = self.drive_one(self.https_url("/echo"), "--ca", self.certs["ca.pem"],
                           "--header", "X-Amz-Date: 20241203T100000Z")
        self.assertEqual(r["status"], 200)
        echo = json.loads(r["body"])
        self.assertIn(["X-Amz-Date", "20241203T100000Z"], echo["headers"])
        self.assertEqual(len(self.https.requests), 1)

    def test_https_without_ca_fails_verification(self):
        r = self.drive_one(self.https_url("/echo"), expect_ok=False)
        self.assertEqual(r["result"], "TLS_FAILED")
        self.assertIn(f"127.0.0.1:{self.https.port}", r["error"])
        self.assertEqual(self.https.requests, [])

    def test_https_wrong_host_name_fails(self):
        r = self.drive_one(self.https_url("/echo", host="localhost"), "--ca",
                           self.certs["ca.pem"], expect_ok=False)
        self.assertEqual(r["result"], "TLS_FAILED")
        self.assertIn(f"localhost:{self.https.port}", r["error"])
        self.assertEqual(self.https.requests, [])

    def test_https_with_missing_ca_file_fails(self):
        missing = os.path.join(self.tempdir.name, "missing.pem")
        r = self.drive_one(self.https_url("/echo"), "--ca", missing, expect_ok=False)
        self.assertEqual(r["result"], "TLS_FAILED")

    # ---- Policy ---------------------------------------------------------------

    def test_plain_http_refused_unless_allowed(self):
        r = self.drive_one(self.http_url("/echo"), expect_ok=False)
        self.assertEqual(r["result"], "FAILED")
        self.assertIn(f"127.0.0.1:{self.http.port}", r["error"])
        self.assertIn("https", r["error"])
        self.assertEqual(self.http.connections, 0)
        r = self.drive_one(self.http_url("/echo"), "--allow-http")
        self.assertEqual(r["status"], 200)

    def test_other_schemes_refused(self):
        r = self.drive_one(f"ftp://127.0.0.1:{self.http.port}/x", "--allow-http",
                           expect_ok=False)
        self.assertEqual(r["result"], "FAILED")
        self.assertEqual(self.http.connections, 0)

    def test_redirect_not_followed(self):
        r = self.drive_one(self.http_url("/redirect"), "--allow-http")
        self.assertEqual(r["status"], 302)
        self.assertEqual(r["body"], "")
        self.assertEqual(len(self.http.requests), 1)

    def test_body_cap(self):
        r = self.drive_one(self.http_url("/big?n=1000"), "--allow-http", "--max-bytes", "1000")
        self.assertEqual(len(r["body"]), 1000)
        r = self.drive_one(self.http_url("/big?n=1001"), "--allow-http", "--max-bytes", "1000",
                           expect_ok=False)
        self.assertEqual(r["result"], "TOO_LARGE")
        self.assertIn(f"127.0.0.1:{self.http.port}", r["error"])
        self.assertEqual(r["body"], "")
        # no Content-Length: the write callback stops it
        r = self.drive_one(self.http_url("/big-chunked?n=5000"), "--allow-http", "--max-bytes",
                           "1000", expect_ok=False)
        self.assertEqual(r["result"], "TOO_LARGE")
        self.assertLessEqual(len(r["body"]), 1000)

    # ---- Failures ---------------------------------------------------------------

    def test_timeout(self):
        started = time.monotonic()
        r = self.drive_one(self.http_url("/sleep"), "--allow-http", "--timeout-ms", "300",
                           expect_ok=False)
        self.assertLess(time.monotonic() - started, 4)
        self.assertEqual(r["result"], "TIMEOUT")
        self.assertIn(f"127.0.0.1:{self.http.port}", r["error"])

    def test_nothing_listening(self):
        port = free_port()
        r = self.drive_one(f"http://127.0.0.1:{port}/secret-path?X-Amz-Signature=deadbeef",
                           "--allow-http", "--header", "Authorization: very-secret-header",
                           expect_ok=False)
        self.assertEqual(r["result"], "CONNECT_FAILED")
        self.assertIn(f"127.0.0.1:{port}", r["error"])
        for leak in ("secret-path", "deadbeef", "very-secret-header"):
            self.assertNotIn(leak, r["error"])

    def test_unresolvable_host(self):
        r = self.drive_one("https://kumo-no-such-host.invalid/", "--connect-timeout-ms", "3000",
                           expect_ok=False)
        self.assertEqual(r["result"], "CONNECT_FAILED")
        self.assertIn("kumo-no-such-host.invalid:443", r["error"])

    def test_truncated_body(self):
        r = self.drive_one(self.http_url("/truncated"), "--allow-http", expect_ok=False)
        self.assertEqual(r["result"], "FAILED")
        self.assertIn(f"127.0.0.1:{self.http.port}", r["error"])

    def test_connection_reset(self):
        r = self.drive_one(self.http_url("/reset"), "--allow-http", expect_ok=False)
        self.assertEqual(r["result"], "FAILED")
        self.assertIn(f"127.0.0.1:{self.http.port}", r["error"])

    def test_empty_reply(self):
        r = self.drive_one(self.http_url("/empty"), "--allow-http", expect_ok=False)
        self.assertEqual(r["result"], "FAILED")

    def test_failure_then_success_on_one_transport(self):
        # the handle is reusable after a failed exchange (cap, then a normal one)
        results = self.drive(self.http_url("/big?n=50"), "--allow-http", "--max-bytes", "10",
                             "--repeat", "2", expect_ok=False)
        self.assertEqual([r["result"] for r in results], ["TOO_LARGE", "TOO_LARGE"])
        self.assertEqual(len(self.http.requests), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
