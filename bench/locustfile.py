"""Locust users for bench/load_test.py: each is one of the seeded office users, with think time.

The identities (session cookie, API token, a 100-recipient message) come from the JSON
file named by LOAD_IDENTITIES, written by load_test.py.
"""

import itertools
import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

IDENTITIES = json.loads(Path(os.environ["LOAD_IDENTITIES"]).read_text())
_next_identity = itertools.cycle(IDENTITIES)
CSRF = "loadtestcsrfsecret0123456789abcd"  # a 32-character secret: the cookie and the header agree


def expect(response, status: int = 200) -> None:
    """A redirect (to the login page, say) or an error is a failure, not a fast answer."""
    if response.status_code != status:
        response.failure(f"{response.status_code}: {response.text[:200]}")


class OfficeUser(HttpUser):
    # An office worker reads, then clicks: 0.5-1.5 s between requests.
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.me = next(_next_identity)
        self.client.cookies.set("sessionid", self.me["sessionid"])
        self.client.cookies.set("csrftoken", CSRF)

    @task(1)
    def healthz(self) -> None:
        with self.client.get("/healthz", name="baseline: /healthz (no database)", catch_response=True) as r:
            expect(r)

    @task(3)
    def homepage(self) -> None:
        with self.client.get("/", name="homepage", allow_redirects=False, catch_response=True) as r:
            expect(r)

    @task(2)
    def contact_search(self) -> None:
        label = "contact search (10,000 contacts)" if self.me["heavy"] else "contact search (100 contacts)"
        url = f"/contacts/?q=Smith+{random.randint(0, 199):03d}"
        with self.client.get(url, name=label, allow_redirects=False, catch_response=True) as r:
            expect(r)

    @task(3)
    def composer_preview(self) -> None:
        body = random.choice(["Meeting moved to 3 pm, room 4.", "Rendez-vous à 15 h, salle 4 € 😀"]) * 2
        with self.client.post(
            "/sms/new/counter/",
            {"body": body, "with_signature": "on"},
            headers={"X-CSRFToken": CSRF, "HX-Request": "true"},
            name="composer preview",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            expect(r)

    @task(2)
    def message_status(self) -> None:
        url, name = f"/sms/{self.me['message_id']}/", "message status (100 recipients)"
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            expect(r)

    @task(1)
    def quotas(self) -> None:
        label = "Quotas (200,000 ledger rows)" if self.me["heavy"] else "Quotas"
        with self.client.get("/settings/quotas/", name=label, allow_redirects=False, catch_response=True) as r:
            expect(r)

    @task(1)
    def send_api(self) -> None:
        numbers = [f"+32475{random.randint(0, 999_999):06d}" for _ in range(100)]
        with self.client.post(
            "/api/v1/messages/",
            json={"to": numbers, "body": "Load test"},
            headers={"Authorization": f"Token {self.me['token']}"},
            name="send API (100 recipients)",
            catch_response=True,
        ) as r:
            expect(r, 202)
