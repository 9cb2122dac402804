"""Contact import throughput: how many contacts a request imports in a few seconds.

Posts CSV files of growing size to the import page through Django's test client
(decode, parse, number checks, writes: the whole request) and prints seconds,
contacts a second and bytes a contact. CONTACT_IMPORT_MAX_ROWS is chosen from this
so that the largest accepted file finishes within ~3 s; the last two files are the
largest a 512 KB limit lets through (rich vCards; ten numbers on every row). PostgreSQL only.

    .venv/bin/python bench/contacts_import.py [rows ...]
"""

import sys
import time

from common import throwaway_database
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import Contact
from accounts.services import address_books_ensure, user_create
from accounts.vcard import CardData, write_cards

DEFAULT_SIZES = (1_000, 5_000, 10_000, 20_000)


def csv_file(rows: int) -> bytes:
    """A realistic export: a name, an organisation, an email and a mobile number each."""
    lines = ["name,organisation,email,mobile"]
    lines += [
        f"Person {i} Lastname,Company {i % 97},person{i}@example.org,+32 475 {i // 10000 % 100:02} {i % 10000:04}"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def vcard_file(rows: int) -> bytes:
    """Rich cards as this app exports them: organisation, notes, two numbers, an email."""
    cards = [
        CardData(
            line=0,
            name=f"Person {i} Lastname",
            organisation=f"Company {i % 97}",
            notes="Met at the fair",
            emails=[f"person{i}@example.org"],
            phones=[("mobile", f"+32475{i:06d}"), ("work", "+3225551212")],
        )
        for i in range(rows)
    ]
    return write_cards(cards).encode()


def dense_file(max_bytes: int) -> bytes:
    """The worst case a byte limit lets through: ten numbers on every row, up to `max_bytes`."""
    numbers = ";".join(f"+32475{j:06d}" for j in range(10))
    rows = (max_bytes - 20) // len(f"P00000,{numbers}\n")
    return ("name,mobile\n" + "".join(f"P{i:05},{numbers}\n" for i in range(rows))).encode()


def main(sizes: list[int]) -> None:
    with (
        throwaway_database(postgres_only=True),
        override_settings(
            CONTACT_IMPORT_MAX_BYTES=100_000_000, CONTACT_IMPORT_MAX_ROWS=1_000_000, CONTACTS_MAX_PER_USER=10_000_000
        ),
    ):
        print(f"{'file':<28} {'contacts':>9} {'bytes':>10} {'seconds':>8} {'contacts/s':>11}")
        files = [(f"csv, {rows}", "contacts.csv", csv_file(rows)) for rows in sizes]
        files += [
            ("vcard, rich, 2400", "contacts.vcf", vcard_file(2400)),
            ("csv, 10 numbers a row, 512 KB", "dense.csv", dense_file(512 * 1024)),
        ]
        for index, (label, filename, data) in enumerate(files):
            user = user_create(username=f"bench{index}", password=None)
            book = address_books_ensure(user=user)[0]
            client = Client()
            client.force_login(user)
            upload = SimpleUploadedFile(filename, data)
            start = time.perf_counter()
            response = client.post(reverse("contact_import"), {"book": book.pk, "file": upload})
            seconds = time.perf_counter() - start
            assert response.status_code == 200, response.status_code
            rows = Contact.objects.filter(book=book).count()
            print(f"{label:<28} {rows:>9} {len(data):>10} {seconds:>8.2f} {rows / seconds:>11.0f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or list(DEFAULT_SIZES))
