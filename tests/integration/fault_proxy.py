"""fault_proxy - a loopback HTTP proxy in front of moto that injects faults.

kumo's --endpoint points at ``FaultProxy.endpoint``; every request is
recorded (headers with lower-case names, body, EC2 action, and what was done
with it) and, unless a scheduled fault says otherwise, forwarded unchanged
(Host header included, so the SigV4 signature still verifies) to moto.

Faults, scheduled with ``add(fault, action=None, times=1, skip=0)`` for the
requests whose EC2 action is `action` (None: any), after skipping `skip` of
them, `times` times (None: for ever):

* ``throttle``  503 with EC2's RequestLimitExceeded document (not forwarded)
* ``html500``   500 with an HTML page, no AWS document (not forwarded)
* ``reset``     the connection is reset (SO_LINGER 0, close): RST, no answer
                (not forwarded)
* ``truncate``  forwarded; the answer's Content-Length is sent in full but
                only half the body, then the connection is closed
* ``slow``      forwarded; the answer is held back `slow_s` seconds (longer
                than kumo's timeout), so the client gives up first

Faults that forward leave the request processed by moto: a retried create then
meets InvalidGroup.Duplicate, as it can on real EC2.

Only the Python standard library is used.
"""

import http.client
import http.server
import socket
import struct
import threading
import time
import urllib.parse

THROTTLE_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
    b"exceeded.</Message></Error></Errors><RequestID>00000000-test-throttle</RequestID>"
    b"</Response>"
)
HTML_500_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>"
    b"<body><h1>Internal Server Error</h1><p>The server encountered an internal error."
    b"</p></body></html>\n"
)
FAULTS = ("throttle", "html500", "reset", "truncate", "slow")
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length")


def action_of(body):
    return urllib.parse.parse_qs(body).get("Action", ["?"])[0]


class _Rule:
    def __init__(self, fault, action, times, skip):
        if fault not in FAULTS:
            raise ValueError("unknown fault %r" % fault)
        self.fault, self.action, self.times, self.skip = fault, action, times, skip

    def take(self, action):
        """The fault for a request with this action, or None (consumes the rule)."""
        if self.action is not None and self.action != action:
            return None
        if self.skip > 0:
            self.skip -= 1
            return None
        if self.times is not None:
            if self.times <= 0:
                return None
            self.times -= 1
        return self.fault


class FaultProxy:
    """Threaded proxy on 127.0.0.1 in front of 127.0.0.1:`target_port`."""

    def __init__(self, target_port, slow_s=3.0):
        self.target_port = target_port
        self.slow_s = slow_s
        self.requests = []  # dicts: method, path, headers, body, action, fault, status
        self._rules = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def finish(self):
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                text = body.decode("utf-8", "replace")
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": text,
                    "action": action_of(text),
                    "fault": None,
                    "status": None,
                }
                with proxy._lock:
                    record["fault"] = proxy._fault_for(record["action"])
                    proxy.requests.append(record)
                fault = record["fault"]
                try:
                    if fault == "throttle":
                        self._answer(503, "text/xml;charset=UTF-8", THROTTLE_BODY, record)
                    elif fault == "html500":
                        self._answer(500, "text/html; charset=utf-8", HTML_500_BODY, record)
                    elif fault == "reset":
                        self._reset()
                    else:
                        status, headers, data = self._forward(body)
                        record["status"] = status
                        if fault == "slow":
                            time.sleep(proxy.slow_s)
                        self._send(status, headers, data, truncate=(fault == "truncate"))
                except OSError:
                    self.close_connection = True

            do_GET = do_POST

            def _answer(self, status, content_type, data, record):
                record["status"] = status
                self._send(status, [("Content-Type", content_type)], data)

            def _send(self, status, headers, data, truncate=False):
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in HOP_BY_HOP and k.lower() not in ("server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if truncate:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(data)

            def _reset(self):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()

            def _forward(self, body):
                conn = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=30)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for k, v in self.headers.items():
                        if k.lower() not in ("connection", "keep-alive", "proxy-connection"):
                            conn.putheader(k, v)
                    conn.endheaders(body if body else None)
                    resp = conn.getresponse()
                    return resp.status, resp.getheaders(), resp.read()
                finally:
                    conn.close()

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # resets and clients that gave up are expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _fault_for(self, action):
        for rule in self._rules:
            fault = rule.take(action)
            if fault:
                return fault
        return None

    def add(self, fault, action=None, times=1, skip=0):
        """Schedules `fault` (see the module doc); returns self."""
        with self._lock:
            self._rules.append(_Rule(fault, action, times, skip))
        return self

    def clear(self):
        with self._lock:
            self._rules = []
            self.requests = []

    def faults_injected(self):
        return [(r["action"], r["fault"]) for r in self.requests if r["fault"]]

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
