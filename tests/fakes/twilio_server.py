"""A fake Twilio REST API on loopback, for the real Twilio SDK to talk to in tests and benchmarks.

It answers like Twilio's REST API, as the SDK calls it:
  POST /2010-04-01/Accounts/<sid>/Messages.json          create a message
  GET  /2010-04-01/Accounts/<sid>/Messages/<SM...>.json  fetch one (404 when unknown)
  GET  /2010-04-01/Accounts/<sid>/Messages.json          list, filtered by To, From and
                                                         DateSent> (as the SDK sends them)
What it answers a create for a destination is scripted in `outcomes` (to -> an outcome);
the default is "201"; `fail_with` answers every create alike (an outage):
  "201"       accepted, with a SID
  "400"       refused (21211)
  "429"       Too Many Requests (20429), with `Retry-After: <retry_after>` when set
  "500"       Twilio down
  "timeout"   the request is read, then no answer (not sent: nothing is stored)
  "taken"     accepted and stored, then no answer (sent, but the client never hears it)
  "html502"   an HTML error page from a proxy (not sent)
  "truncated" accepted and stored, the JSON answer cut short
  "nosid"     accepted and stored, a 200 whose JSON has no SID
Every create it read is in `requests` (its arrival time in `arrivals`), the numbers it
accepted (sent) in `accepted`, the messages it keeps in `messages` (by SID), the most
creates it answered at once in `most_in_flight`.
"""

import datetime as dt
import email.utils
import itertools
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ERRORS = {
    "400": (400, 21211, "The 'To' number is not a valid phone number."),
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
}


class QuietServer(ThreadingHTTPServer):
    """A client that drops its connection (a killed worker) is not worth a traceback."""

    # socketserver's default listen backlog is 5: workers opening 50-100 connections at
    # once would see SYNs dropped and retried a second later, which Twilio never does.
    request_queue_size = 256

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
        self.accepted: list[str] = []  # the numbers it sent (taken), in order
        self.arrivals: list[float] = []  # time.time() of each create it read
        self.retry_after: int | None = None  # seconds, sent with each 429
        self.messages: dict[str, dict] = {}  # SID -> the message as Twilio returns it
        self.in_flight = 0  # creates being answered now
        self.most_in_flight = 0  # the most at once
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
                    fake.arrivals.append(time.time())
                    number = next(fake._ids)
                outcome = fake.fail_with or fake.outcomes.get(form.get("To", ""), "201")
                with fake._lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    self._create(form, number, outcome)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _create(self, form: dict, number: int, outcome: str) -> None:
                if fake.delay:
                    time.sleep(fake.delay)
                if outcome == "timeout":
                    time.sleep(fake.timeout_sleep)  # read the request, answers too late
                    self.close_connection = True
                    return
                if outcome == "html502":
                    self._answer(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                    return
                if outcome in ERRORS:
                    status, code, message = ERRORS[outcome]
                    headers = {"Retry-After": str(fake.retry_after)} if outcome == "429" and fake.retry_after else {}
                    self._json(status, {"code": code, "message": message, "status": status}, headers)
                    return
                sid = f"SM{number:032d}"
                stored = fake._store(sid, form)
                if outcome == "taken":
                    time.sleep(fake.timeout_sleep)  # sent, and the answer never comes
                    self.close_connection = True
                    return
                if outcome == "truncated":
                    public = {k: v for k, v in stored.items() if k != "_sent"}
                    self._answer(201, json.dumps(public).encode()[:25], "application/json")
                    return
                if outcome == "nosid":
                    self._json(200, {key: value for key, value in stored.items() if key != "sid"})
                    return
                self._json(201, stored)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                one = re.search(r"/Messages/(SM\w+)\.json$", url.path)
                if one:
                    found = fake.messages.get(one.group(1))
                    if found is None:
                        missing = {"code": 20404, "message": "The requested resource was not found", "status": 404}
                        self._json(404, missing)
                    else:
                        self._json(200, found)
                    return
                after = query.get("DateSent>")
                since = dt.datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC) if after else None
                with fake._lock:
                    found = [
                        m
                        for m in fake.messages.values()
                        if m["to"] == query.get("To", m["to"])
                        and m["from"] == query.get("From", m["from"])
                        and (since is None or m["_sent"] >= since)
                    ]
                found.sort(key=lambda m: m["_sent"], reverse=True)  # newest first, like Twilio
                page = [{k: v for k, v in m.items() if k != "_sent"} for m in found]
                self._json(
                    200,
                    {"messages": page, "next_page_uri": None, "page": 0, "page_size": len(page), "uri": url.path},
                )

            def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
                payload = {k: v for k, v in payload.items() if k != "_sent"}
                self._answer(status, json.dumps(payload).encode(), "application/json", headers)

            def _answer(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _store(self, sid: str, form: dict) -> dict:
        now = dt.datetime.now(dt.UTC)
        stamp = email.utils.format_datetime(now, usegmt=True)
        message = {
            "sid": sid,
            "to": form.get("To", ""),
            "from": form.get("From", form.get("MessagingServiceSid", "")),
            "body": form.get("Body", ""),
            "status": "queued",
            "date_created": stamp,
            "date_sent": stamp,
            "_sent": now.replace(microsecond=0),
        }
        with self._lock:
            self.accepted.append(message["to"])
            self.messages[sid] = message
        return message

    def per_second(self) -> list[int]:
        """Creates that arrived in each whole second since the first."""
        if not self.arrivals:
            return []
        first = min(self.arrivals)
        counts = [0] * (int(max(self.arrivals) - first) + 1)
        for moment in self.arrivals:
            counts[int(moment - first)] += 1
        return counts

    def most_in_any(self, seconds: float) -> int:
        """The most creates that arrived within any `seconds`-long window."""
        moments = sorted(self.arrivals)
        most, start = 0, 0
        for end, moment in enumerate(moments):
            while moment - moments[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    def __enter__(self) -> "FakeTwilio":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
