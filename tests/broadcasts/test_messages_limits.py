"""The Messages tool's email and fax copies: daily limits, a rate limit, a sender that cannot impersonate."""

import pytest
from django.core import mail
from django.urls import reverse

from broadcasts.models import Broadcast, Delivery
from credits.services import account_for
from messaging.models import Message, SendingLimits
from tests.factories import UserFactory, team_of_three


@pytest.fixture
def team(sender):
    return team_of_three(sender)  # 2 emails, 2 SMS, 1 fax


def form(team, key, **fields):
    data = {
        "subject": "Office closed Friday",
        "body": "The office is closed on Friday.",
        "channel": ["email", "sms", "fax"],
        "with_signature": "on",
        "idempotency_key": key,
        "list": [team.pk],
        "action": "send",
    }
    data.update(fields)
    return data


def held(user):
    account = account_for(user=user)
    return account.monthly_held + account.provision_held


def test_a_send_over_the_daily_email_limit_is_refused_whole_saying_what_is_left(
    fax_gateway, client, sender, team, settings, run_on_commit
):
    settings.MESSAGES_MAX_EMAILS_PER_DAY = 3
    client.force_login(sender)
    assert run_on_commit(client.post, reverse("messages_compose"), form(team, "k1")).status_code == 302
    assert len(mail.outbox) == 2
    before = (Broadcast.objects.count(), Delivery.objects.count(), Message.objects.count(), held(sender))

    response = client.post(reverse("messages_compose"), form(team, "k2"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This send would make 4 emails in 24 hours; the limit is 3." in page
    assert "1 left for now; enough for this send from" in page
    # Refused whole: no email, SMS or fax copy written, no credit held, nothing sent.
    assert (Broadcast.objects.count(), Delivery.objects.count(), Message.objects.count(), held(sender)) == before
    assert len(mail.outbox) == 2 and len(fax_gateway.outbox) == 1


def test_the_admin_sets_a_users_own_fax_limit(fax_gateway, client, sender, team, run_on_commit):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:messaging_sendinglimits_add"),
        {"user": sender.pk, "max_faxes_per_day": "0", "max_emails_per_day": "", "allowed_countries": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert SendingLimits.objects.get(user=sender).max_faxes_per_day == 0

    client.force_login(sender)
    response = client.post(reverse("messages_compose"), form(team, "k1"))
    assert response.status_code == 400
    assert "This send would make 1 faxes in 24 hours; the limit is 0. 0 left for now" in response.content.decode()
    assert not Broadcast.objects.exists() and not fax_gateway.outbox
    # Email and SMS alone still go.
    response = run_on_commit(client.post, reverse("messages_compose"), form(team, "k2", channel=["email", "sms"]))
    assert response.status_code == 302


def test_the_messages_tool_has_a_rate_limit(client, sender, team, settings, run_on_commit):
    settings.MESSAGES_MAX_PER_MINUTE = 3
    client.force_login(sender)
    for key in ("k1", "k2", "k3"):
        response = run_on_commit(client.post, reverse("messages_compose"), form(team, key, channel=["email"]))
        assert response.status_code == 302
    response = client.post(reverse("messages_compose"), form(team, "k4", channel=["email"]))
    assert response.status_code == 400
    assert "You sent 3 messages in the last minute, the most allowed. Try again from" in response.content.decode()
    assert Broadcast.objects.count() == 3 and len(mail.outbox) == 6


def test_the_sender_name_cannot_impersonate_in_from(client, sender, team, run_on_commit):
    sender.full_name = "PayPal Security Team"
    sender.save()
    client.force_login(sender)
    run_on_commit(client.post, reverse("messages_compose"), form(team, "k1", channel=["email", "fax"]))
    message = mail.outbox[0].message()
    # The installation's address, and the user's name marked as relayed, as mailing lists do.
    assert message["From"] == "PayPal Security Team via SMS Office <noreply@localhost>"
    assert message["Reply-To"] == f"PayPal Security Team <{sender.email}>"
    assert "PayPal Security Team" in mail.outbox[0].body


def test_a_recipient_limit_lowered_in_the_admin_holds_in_the_messages_tool(client, sender, team):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:messaging_sendinglimits_add"),
        {"user": sender.pk, "max_recipients_per_send": "2", "allowed_countries": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    client.force_login(sender)
    response = client.post(reverse("messages_compose"), form(team, "k1"))  # three people, two with a mobile
    assert response.status_code == 400
    assert "3 recipients: at most 2 in one message." in response.content.decode()
    assert not Broadcast.objects.exists() and not Message.objects.exists()
