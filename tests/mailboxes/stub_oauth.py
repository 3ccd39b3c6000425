"""A stub token endpoint of our own (a real HTTP server on loopback) for the OAuth tests that
need no mail server: it answers what the test queued and records every request."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class StubTokenServer:
    def __init__(self):
        self.queued: list[tuple[int, object]] = []
        self.requests: list[tuple[str, dict, dict]] = []  # (path, form, headers)
        self.default = (200, {"access_token": "at-default", "expires_in": 3600})
        self.userinfo = (200, {"email": "", "email_verified": True})
        self.lock = threading.Lock()
        self.gate: threading.Event | None = None  # when set, /token waits for it
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 (the base class's name)
                pass

            def _answer(self, status, body):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with stub.lock:
                    stub.requests.append((self.path, form, dict(self.headers)))
                    status, body = stub.queued.pop(0) if stub.queued else stub.default
                if stub.gate is not None:
                    stub.gate.wait(10)
                self._answer(status, body)

            def do_GET(self):  # noqa: N802
                with stub.lock:
                    stub.requests.append((self.path, {}, dict(self.headers)))
                self._answer(*stub.userinfo)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def queue(self, status: int, body) -> None:
        with self.lock:
            self.queued.append((status, body))

    def token_requests(self) -> list[dict]:
        return [form for path, form, _ in self.requests if path == "/token"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
