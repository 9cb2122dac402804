"""Log in and out, reset a forgotten password by email, change the password."""

import re

from django.core import mail
from django.urls import reverse


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
