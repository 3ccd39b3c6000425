"""A real HTTP endpoint on 127.0.0.1 standing in for a team's outside tool (the only thing the
outgoing webhook tests replace). It records every request and answers the status codes it is
told to, in order (then 200)."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver = self.server.receiver
        receiver.requests.append(Received(self.path, dict(self.headers), body))
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class running_receiver:
    def __enter__(self) -> Receiver:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        host, port = self.server.server_address
        self.server.receiver = Receiver(url=f"http://{host}:{port}/hook")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self.server.receiver

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
