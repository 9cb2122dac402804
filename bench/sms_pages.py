"""The message page with 10,000 recipients and the Sent SMS history with 5,000 messages.

Prints the median server time (Django's test client: queries, template, pagination)
of each page beside the same page for a small account (10 recipients, 50 messages),
measured in the same run. Target: every page under 150 ms. Runs on DATABASE_URL
(PostgreSQL) in a throw-away test database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/sms_pages.py
"""

from common import median_ms, throwaway_database
from django.test import Client
from django.urls import reverse

from messaging.models import Message, Recipient, RecipientStatus
from tests.factories import UserFactory

REPEAT = 15
STATES = [RecipientStatus.DELIVERED, RecipientStatus.ACCEPTED, RecipientStatus.FAILED, RecipientStatus.QUEUED]


def message(user, recipients: int, body: str = "Hello") -> Message:
    sent = Message.objects.create(
        user=user,
        body=body,
        text=body,
        encoding="GSM-7",
        segments=1,
        credits_held=recipients,
        gateway="default",
        status="sending",
    )
    Recipient.objects.bulk_create(
        Recipient(message=sent, to=f"+3247{n:07d}", status=STATES[n % len(STATES)]) for n in range(recipients)
    )
    return sent


def history(user, count: int) -> None:
    sent = Message.objects.bulk_create(
        Message(
            user=user,
            body=f"Message number {n}",
            text=f"Message number {n}",
            encoding="GSM-7",
            segments=1,
            credits_held=3,
            gateway="default",
            status="sending",
        )
        for n in range(count)
    )
    Recipient.objects.bulk_create(
        Recipient(message=m, to=f"+3247{n * 3 + k:07d}", status=STATES[(n + k) % len(STATES)])
        for n, m in enumerate(sent)
        for k in range(3)
    )


def main() -> None:
    with throwaway_database():
        figures = {}
        for label, recipients, messages in (("small", 10, 50), ("large", 10_000, 5_000)):
            user = UserFactory()
            big = message(user, recipients)
            history(user, messages)
            client = Client()
            client.force_login(user)
            detail = reverse("sms_detail", args=[big.pk])
            pages = {
                f"message page, {recipients:,} recipients": (detail, {}),
                "  same, failed only": (detail, {"state": "failed"}),
                "  same, last page": (detail, {"page": str(-(-recipients // 50))}),
                f"history, {messages:,} messages": (reverse("sms_history"), {}),
                "  search by number": (reverse("sms_history"), {"q": "0475 000 12"}),
                "  search by text": (reverse("sms_history"), {"q": "number 4"}),
                "  filter by state": (reverse("sms_history"), {"state": "failed"}),
            }
            figures[label] = {
                name: median_ms(client, url, params, repeat=REPEAT) for name, (url, params) in pages.items()
            }
        print(f"{'page':<36}{'small account (baseline)':>26}{'large account':>16}")
        for (_name, small), (large_name, large) in zip(figures["small"].items(), figures["large"].items(), strict=True):
            print(f"{large_name:<36}{small:>23.1f} ms{large:>13.1f} ms")
        print(f"slowest large page: {max(figures['large'].values()):.1f} ms (target < 150 ms; median of {REPEAT})")


if __name__ == "__main__":
    main()
