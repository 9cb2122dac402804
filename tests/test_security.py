"""Web security: CSP, login lockout and its audit, CSRF (htmx included), staff-only admin."""

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
WRONG = "not-the-password"


def login(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_every_page_says_scripts_and_styles_come_only_from_our_own_files(client, db):
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_no_template_has_inline_script_style_or_event_handler():
    # The policy would block them in the browser: this finds them before a user does.
    # Email bodies are not web pages (mail clients ignore CSP and need inline styles).
    inline = re.compile(r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts and "email" not in path.parts
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []


def test_api_docs_page_loads_its_script_from_a_file_not_inline(logged_in):
    page = logged_in.get(reverse("api_docs")).content.decode()
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>\s*\S", page) is None


def test_five_wrong_passwords_lock_that_user_from_that_address_and_are_audited(client, user, password, caplog):
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, user.username, WRONG).status_code == 200  # the form again, with its error
    locked = login(client, user.username, WRONG)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert f"paused for {settings.AXES_COOLOFF_MINUTES} minutes" in locked.content.decode()
    # Even the right password is refused while locked.
    assert login(client, user.username, password).status_code == 429
    assert "_auth_user_id" not in client.session

    # Audit: every failure, with the user name tried and the address, kept and logged.
    failures = AccessFailureLog.objects.filter(username=user.username)
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 1
    assert set(failures.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert sum("login failure by" in line for line in logged) == settings.AXES_FAILURE_LIMIT + 1
    assert any(line.startswith("AXES: Locking out") for line in logged)
    assert all("203.0.113.7" in line for line in logged)
    assert not any(user.username in line for line in logged)  # what was typed as a user name stays out


def test_a_locked_pair_does_not_lock_the_user_elsewhere_nor_others_here(client, user, password, db):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, WRONG)
    colleague = UserFactory()
    assert login(Client(), colleague.username, password).status_code == 302  # same address, another user
    assert login(Client(), user.username, password, address="198.51.100.1").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, user, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, WRONG)
    with time_machine.travel(dt.timedelta(minutes=settings.AXES_COOLOFF_MINUTES + 1)):
        assert login(client, user.username, password).status_code == 302
    # A success starts the count again.
    assert not AccessAttempt.objects.filter(username=user.username, failures_since_start__gt=0).exists()


def test_a_form_post_without_the_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("contact_create"), {"name": "Eve"})
    assert response.status_code == 403


def test_htmx_posts_carry_the_csrf_token_in_a_header(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("sms_compose")).content.decode()
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    data = {"body": "Hello", "with_signature": ""}
    assert client.post(reverse("sms_counter"), data, HTTP_HX_REQUEST="true").status_code == 403
    counted = client.post(reverse("sms_counter"), data, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert counted.status_code == 200
    assert "5 characters" in counted.content.decode()


def test_the_admin_is_for_staff_only(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("admin:login"))
    user.is_staff = True
    user.save()
    assert client.get(reverse("admin:index")).status_code == 200


def test_failed_logins_are_listed_for_administrators(client, user, db):
    login(Client(), user.username, WRONG)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:axes_accessfailurelog_changelist")).content.decode()
    assert user.username in page and "203.0.113.7" in page


# Found by the adversarial probe: behind the reverse proxy every login came from the
# proxy's address, so five wrong passwords typed anywhere locked that user out everywhere.
PROXY = "10.0.0.2"


def login_via_proxy(client: Client, username: str, password: str, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_a_stranger_cannot_lock_the_user_out(user, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_via_proxy(Client(), user.username, WRONG, "203.0.113.66")
    assert login_via_proxy(Client(), user.username, password, "203.0.113.66").status_code == 429
    # The stranger cannot pose as another address: the proxy appends the one it saw.
    assert login_via_proxy(Client(), user.username, password, "198.51.100.7, 203.0.113.66").status_code == 429
    # The user, from an address with no failures, gets in.
    assert login_via_proxy(Client(), user.username, password, "198.51.100.7").status_code == 302
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(user, password):
    # Clients forge it: trusting it with no proxy in front would give each try a new address.
    for number in range(settings.AXES_FAILURE_LIMIT):
        login_via_proxy(Client(), user.username, WRONG, f"198.51.100.{number}")
    assert login_via_proxy(Client(), user.username, password, "198.51.100.99").status_code == 429


# Headers SecurityMiddleware, XFrameOptionsMiddleware and ours put on every page.
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
    "Strict-Transport-Security",
)
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "smsoffice.settings.production",
    "DJANGO_SECRET_KEY": "test-only-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "sms.example.com",
    "MAILBOX_PASSWORD_KEYS": "dGVzdC1vbmx5LW1haWxib3gta2V5LTMyLWJ5dGVzISE=",
    "METRICS_TOKEN": "test-only-metrics-token",
}


def production_setting(name: str, **env: str):
    """A setting as production computes it (its own process: production refuses test defaults)."""
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV} | PRODUCTION_ENV | env
    code = f"import json; from django.conf import settings; print(json.dumps(settings.{name}))"
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-800:]
    return json.loads(run.stdout)


def test_a_static_file_carries_the_same_security_headers_as_a_page(client, db, settings, tmp_path):
    # Production's middleware order (WhiteNoise answers static files from it), files from the finders.
    settings.MIDDLEWARE = production_setting("MIDDLEWARE")
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = tmp_path  # nothing collected here: no "No directory" warning
    settings.SECURE_HSTS_SECONDS = 3600
    page = client.get(reverse("login"), secure=True)
    static = client.get("/static/css/app.css", secure=True)
    assert (page.status_code, static.status_code) == (200, 200)  # only WhiteNoise serves /static/ here
    expected = {name: page.get(name) for name in SECURITY_HEADERS}
    assert None not in expected.values(), expected
    assert {name: static.get(name) for name in SECURITY_HEADERS} == expected


def test_the_api_token_page_is_never_stored_by_a_cache(logged_in):
    response = logged_in.get(reverse("api_settings"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_production_refuses_to_start_without_a_metrics_token():
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV} | PRODUCTION_ENV
    for token in (None, ""):
        env = dict(environment)
        if token is None:
            del env["METRICS_TOKEN"]
        else:
            env["METRICS_TOKEN"] = token
        check = subprocess.run(
            [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert check.returncode != 0, f"started with METRICS_TOKEN={token!r}"
        assert "METRICS_TOKEN" in check.stderr


def test_the_api_schema_and_its_documentation_need_a_login(client, user):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("login"))
    token = Token.objects.create(user=user)
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    client.force_login(user)
    assert client.get("/api/docs/").status_code == 200
