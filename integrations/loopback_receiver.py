"""A webhook receiver on loopback (threaded ``http.server``), for the benchmark and the tests: it records what
arrives and answers what ``respond(number, event_id, path)`` says (200 unless told otherwise)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackReceiver:
    def __init__(self, respond: Callable[[int, str, str], int] | None = None, *, keep_bodies: bool = True):
        self.respond = respond or (lambda number, event_id, path: 200)
        self.keep_bodies = keep_bodies
        self.requests: list[dict] = []  # {"path", "headers", "body"} when keep_bodies
        self.event_ids: list[str] = []  # X-Event-Id of every request, in arrival order
        self.succeeded_ids: list[str] = []  # X-Event-Id of every request answered 2xx
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a worker reuses its connections

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("X-Event-Id", "")
                with receiver._lock:
                    number = len(receiver.event_ids)
                    receiver.event_ids.append(event_id)
                    if receiver.keep_bodies:
                        receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.respond(number, event_id, self.path)
                if 200 <= status < 300:
                    with receiver._lock:
                        receiver.succeeded_ids.append(event_id)
                answer = b"ok" if status < 300 else b"try again later"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> LoopbackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
