"""Real threads, each with its own database connection, released at the same instant."""

import threading

from django.db import connection


def run_together(count: int, work) -> list:
    """Run `work(index)` in `count` threads released at the same instant; return what each gave."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def thread(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
