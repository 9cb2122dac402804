"""Contacts list and search pages with 10,000 contacts behind them, against 100.

Prints, for each page, the median time to render it through Django's test client
(queries, template, pagination) with 100 contacts (the baseline) and with 10,000
in the same run, and the number of SQL queries. Runs on DATABASE_URL (PostgreSQL
in CI) in a throw-away test database.

    make bench            # or: .venv/bin/python bench/contacts_search.py
"""

import statistics
import time

from common import throwaway_database
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AddressBook, Contact, ContactEmail, ContactPhone, User
from accounts.services import PhoneEntry, contact_search_text

SIZES = (100, 10_000)
REPEAT = 15
PAGES = {
    "list, page 1": {},
    "list, last page": {"page": "last"},  # replaced by the real last page number
    "search by name": {"q": "smith"},
    "search by number": {"q": "0475 00 12"},
    "search by email": {"q": "mail4321@"},
    "search, no match": {"q": "zzzz"},
}


def fill(book: AddressBook, count: int) -> None:
    """`count` contacts with a mobile number and an email each; one in 50 is a Smith.

    Rows are bulk-inserted (contact_save per row would take minutes) with the
    search text computed by the same function contact_save uses.
    """
    people = []
    for i in range(count):
        name, organisation = f"{'Smith' if i % 50 == 0 else 'Person'} {i:05d}", f"Org {i % 97}"
        phone, email = PhoneEntry(label="mobile", raw="", e164=f"+32475{i:06d}"), f"mail{i}@example.com"
        text = contact_search_text(name=name, organisation=organisation, emails=[email], phone_entries=[phone])
        people.append((Contact(book=book, name=name, organisation=organisation, search_text=text), phone, email))
    Contact.objects.bulk_create(contact for contact, _phone, _email in people)
    ContactPhone.objects.bulk_create(
        ContactPhone(contact=contact, label=phone.label, raw=phone.raw, e164=phone.e164) for contact, phone, _ in people
    )
    ContactEmail.objects.bulk_create(ContactEmail(contact=contact, address=email) for contact, _, email in people)


def measure(client: Client, params: dict) -> tuple[float, int, int]:
    """Median milliseconds, query count and number of rows shown."""
    timings = []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(reverse("contact_index"), params)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings), len(queries), len(response.context["page"].object_list)


def main() -> None:
    with throwaway_database():
        print(f"database: {connection.vendor}; median of {REPEAT} requests per page\n")
        results = {}
        for size in SIZES:
            user = User.objects.create(username=f"bench{size}", default_country="BE")
            book = AddressBook.objects.create(owner=user, name="Private")
            fill(book, size)
            client = Client()
            client.force_login(user)
            last_page = {"page": str(-(-size // 25))}
            results[size] = {
                name: measure(client, last_page if params.get("page") == "last" else params)
                for name, params in PAGES.items()
            }
        small, large = SIZES
        print(f"{'page':<20}{f'{small} contacts (baseline)':>26}{f'{large} contacts':>22}{'ratio':>8}{'queries':>9}")
        for name in PAGES:
            (base_ms, _q, base_rows), (ms, queries, rows) = results[small][name], results[large][name]
            print(
                f"{name:<20}{base_ms:>17.1f} ms ({base_rows:>2})"
                f"{ms:>13.1f} ms ({rows:>2}){ms / base_ms:>8.1f}{queries:>9}"
            )


if __name__ == "__main__":
    main()
