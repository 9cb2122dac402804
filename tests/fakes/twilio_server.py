"""A fake Twilio REST API on loopback, for the real Twilio SDK to talk to in tests and benchmarks.

It answers POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio does. What it
answers for a destination is scripted in `outcomes` (to -> "201", "400", "429",
"500" or "timeout"); the default is "201"; `fail_with` answers every request alike (an
outage). Every request it took is in `requests`, the numbers it accepted in `accepted`.
"""

import itertools
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ERRORS = {
    "400": (400, 21211, "The 'To' number is not a valid phone number."),
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
}


class QuietServer(ThreadingHTTPServer):
    """A client that drops its connection (a killed worker) is not worth a traceback."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeTwilio:
    def __init__(self, *, timeout_sleep: float = 3.0) -> None:
        self.outcomes: dict[str, str] = {}
        self.requests: list[dict] = []
        self.timeout_sleep = timeout_sleep
        self.delay = 0.0  # seconds before each answer: a slow provider
        self.fail_with: str | None = None  # an outcome for every request: "500" is an outage
        self.accepted: list[str] = []  # the numbers answered 201, in order
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's session expects
            disable_nagle_algorithm = True  # or every request waits ~40 ms for a delayed ACK

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The client died mid-request (a killed worker): like Twilio, take nothing
                    # from a truncated body, and do not record it as a request.
                    self.close_connection = True
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                with fake._lock:
                    fake.requests.append(form)
                    number = next(fake._ids)
                outcome = fake.fail_with or fake.outcomes.get(form.get("To", ""), "201")
                if fake.delay:
                    time.sleep(fake.delay)
                if outcome == "timeout":
                    time.sleep(fake.timeout_sleep)  # took the request, answers too late
                    return
                if outcome in ERRORS:
                    status, code, message = ERRORS[outcome]
                    self._answer(status, {"code": code, "message": message, "status": status})
                    return
                with fake._lock:
                    fake.accepted.append(form.get("To", ""))
                self._answer(
                    201, {"sid": f"SM{number:032d}", "status": "queued", "to": form.get("To"), "body": form.get("Body")}
                )

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeTwilio":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
