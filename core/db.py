"""Database helpers shared by the apps."""

from collections.abc import Sequence

from django.db import connection, models


def bulk_update(objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of `objects` (one model) in one statement.

    On PostgreSQL: UPDATE ... FROM unnest(), one array a column. Django's own
    bulk_update builds a CASE per field and row: for a dispatched chunk of 200
    recipients it took 0.4 s, most of the chunk's time. Elsewhere (SQLite, for
    `make run`), Django's bulk_update.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, list(fields))
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    names = ", ".join(f'"{field.column}"' for field in columns)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    assignments = ", ".join(f'"{field.column}" = t."{field.column}"' for field in columns[1:])
    sql = (
        f'UPDATE "{meta.db_table}" AS r SET {assignments} '  # noqa: S608 - names are the model's, values parameters
        f"FROM unnest({arrays}) AS t({names}) "
        f'WHERE r."{meta.pk.column}" = t."{meta.pk.column}"'
    )
    params = [[field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objects] for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
