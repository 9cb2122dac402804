"""The deliveries export: peak Python memory while streaming 10,000 rows beside 100,000 rows.

Streamed from a server-side cursor, the peak should not grow with the rows (target: the
100,000-row peak within 1.5x of the 10,000-row one). Prints time and rows/s too.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smsoffice .venv/bin/python bench/sms_export.py
"""

import time
import tracemalloc

from common import throwaway_database
from django.db import connection

from messaging import export
from messaging.models import Message, Recipient
from messaging.selectors import recipients_export
from tests.factories import UserFactory

SIZES = (10_000, 100_000)


def fill(user, count: int) -> Message:
    message = Message.objects.create(
        user=user,
        body="Export",
        text="Export",
        encoding="GSM-7",
        segments=1,
        credits_held=count,
        gateway="default",
        status="sending",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Recipient._meta.db_table} (message_id, "to", text, parts, status, attempts, claim,
                provider_id, error_code, error_reason, updated_at)
            SELECT %s, '+3247' || lpad(n::text, 7, '0'), '', 1, 'delivered', 1, '', '', '', '', now()
            FROM generate_series(1, %s) AS n""",  # noqa: S608 - our table name
            [message.pk, count],
        )
    return message


def measure(user, message: Message) -> tuple[float, int, int]:
    tracemalloc.start()
    start = time.perf_counter()
    lines = 0
    for _line in export.csv_stream(recipients_export(user=user, message=message)):
        lines += 1
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, lines - 2  # the BOM and the header


def main() -> None:
    with throwaway_database(postgres_only=True):
        user = UserFactory()
        results = {size: measure(user, fill(user, size)) for size in SIZES}
        for size, (elapsed, peak, rows) in results.items():
            assert rows == size
            print(f"export {size:>7,} rows: {elapsed:.2f} s ({size / elapsed:,.0f} rows/s), peak {peak / 1e6:.1f} MB")
        small, large = results[SIZES[0]][1], results[SIZES[1]][1]
        print(f"peak at 100,000 rows / peak at 10,000 rows: {large / small:.2f}x (target <= 1.5x: constant memory)")


if __name__ == "__main__":
    main()
