"""Log in and out, reset a forgotten password by email, change the password."""

import logging
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory


def test_log_in_and_out(client, user, password):
    response = client.post(reverse("login"), {"username": user.username, "password": password}, follow=True)
    assert user.full_name in response.content.decode()
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_forgotten_password_is_reset_through_the_emailed_link(client, user, password):
    client.post(reverse("password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new = "a-brand-new-passphrase"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    client.post(reverse("logout"))
    old_password = client.post(reverse("login"), {"username": user.username, "password": password})
    assert old_password.status_code == 200 and "_auth_user_id" not in client.session
    logged_in = client.post(reverse("login"), {"username": user.username, "password": new})
    assert logged_in.status_code == 302 and "_auth_user_id" in client.session


def test_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert len(mail.outbox) == 0
    assert "Check your email" in response.content.decode()


def test_change_password(client, user, password):
    client.force_login(user)
    new = "another-long-passphrase"
    response = client.post(
        reverse("password_change"), {"old_password": password, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_weak_new_password_is_refused(client, user, password):
    client.force_login(user)
    response = client.post(
        reverse("password_change"), {"old_password": password, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert "This password is too common" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


# Found by the adversarial probe: the reset form sent an email for every post, so anyone
# could flood a user's mailbox (or send mail to every account) from one address.
@pytest.fixture(autouse=True)
def _empty_reset_counts():
    cache.clear()  # the reset limits count in the cache
    yield
    cache.clear()


def ask_reset(client, email: str, address: str = "203.0.113.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address, follow=True)


def test_reset_emails_to_one_account_are_capped_whatever_the_address(client, user, caplog):
    limit = settings.PASSWORD_RESET_MAX_PER_ACCOUNT
    caplog.set_level(logging.WARNING, logger="accounts.password_reset")
    pages = [ask_reset(client, user.email, address=f"198.51.100.{n}") for n in range(limit + 2)]
    assert len(mail.outbox) == limit
    # The page says the same either way: nobody learns whether the account exists.
    assert {page.redirect_chain[-1][0] for page in pages} == {reverse("password_reset_done")}
    assert all("Check your email" in page.content.decode() for page in pages)
    skipped = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert len(skipped) == 2 and all(f"user {user.pk}" in line for line in skipped)
    assert not any(user.email in line for line in skipped)


def test_reset_requests_from_one_address_are_capped_whatever_the_account(client, db, caplog):
    limit = settings.PASSWORD_RESET_MAX_PER_ADDRESS
    caplog.set_level(logging.WARNING, logger="accounts.password_reset")
    users = [UserFactory() for _ in range(limit + 1)]
    pages = [ask_reset(client, u.email) for u in users]
    assert len(mail.outbox) == limit
    assert "Check your email" in pages[-1].content.decode()
    assert any("203.0.113.7" in r.getMessage() and "not sent" in r.getMessage() for r in caplog.records)
    # Another address is not held back by this one.
    ask_reset(client, users[-1].email, address="198.51.100.1")
    assert len(mail.outbox) == limit + 1
    assert mail.outbox[-1].to == [users[-1].email]
