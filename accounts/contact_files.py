"""Reading contacts files (vCard, CSV) into CardData rows; nothing here writes."""

import contextlib
import csv
import io
import re
from itertools import islice

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .vcard import CardData, read_cards

# CSV header -> what it fills. Headers are matched case-insensitively.
CSV_COLUMNS = {
    "name": "name",
    "full name": "name",
    "organisation": "organisation",
    "organization": "organisation",
    "company": "organisation",
    "notes": "notes",
    "email": "email",
    "emails": "email",
    "mobile": "mobile",
    "home": "home",
    "work": "work",
    "fax": "fax",
    "other": "other",
    "phone": "other",
}
PHONE_COLUMNS = ("mobile", "home", "work", "fax", "other")
CSV_HEADER_EXAMPLE = "name,organisation,email,mobile,home,work,fax,other,notes"


class ContactFileError(ValueError):
    """The file as a whole cannot be read; `str(error)` tells the user why."""


def decode_upload(data: bytes) -> str:
    """The uploaded file as text; raises ContactFileError when it is not UTF-8 text."""
    if b"\x00" in data:
        # Also what UTF-16 files look like; PostgreSQL cannot store NUL in text either.
        raise ContactFileError(
            _("The file contains NUL control characters: it is not UTF-8 text. Save it as UTF-8 and try again.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # Some vCard writers fold at 75 octets through a multi-byte character (RFC 6350
        # says not to): joined again before decoding, such a file is UTF-8 after all.
        if data.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCARD"):
            with contextlib.suppress(UnicodeDecodeError):
                return re.sub(rb"(?:\r\n|\r|\n)[ \t]", b"", data).decode("utf-8-sig")
        raise ContactFileError(
            _("The file is not UTF-8 text (a problem near byte %(position)s): save it as UTF-8 and try again.")
            % {"position": error.start}
        ) from error


def read_contacts_file(*, filename: str, text: str, max_rows: int | None = None) -> list[CardData]:
    """Rows of a .vcf or .csv file, each with its line number; bad rows carry a `problem`.

    Raises ContactFileError as soon as the file holds more than `max_rows` rows:
    reading stops there, so a huge file costs no more than an accepted one.
    """
    lowered = filename.lower()
    if lowered.endswith((".vcf", ".vcard")) or text.lstrip().upper().startswith("BEGIN:VCARD"):
        rows = list(islice(read_cards(text), max_rows + 1 if max_rows is not None else None))
    elif lowered.endswith(".csv"):
        rows = _read_csv(text, max_rows=max_rows)
    else:
        raise ContactFileError(_("Choose a vCard (.vcf) or CSV (.csv) file."))
    if max_rows is not None and len(rows) > max_rows:
        limit = number_format(max_rows, force_grouping=True)
        raise ContactFileError(
            _(
                "This file holds more than %(max)s contacts; at most %(max)s are imported at once. "
                "Split it into files of at most %(max)s contacts and import them one after the other."
            )
            % {"max": limit}
        )
    return rows


def _read_csv(text: str, *, max_rows: int | None) -> list[CardData]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ContactFileError(_("The CSV file is empty.")) from None
    except csv.Error as error:
        raise ContactFileError(_("The CSV file cannot be read: %(error)s") % {"error": error}) from error
    columns = [CSV_COLUMNS.get(title.strip().lower()) for title in header]
    unknown = [title for title, column in zip(header, columns, strict=True) if column is None]
    if unknown or "name" not in columns:
        raise ContactFileError(
            _("The first line must name the columns, for example “%(example)s”; not understood: %(unknown)s.")
            % {"example": CSV_HEADER_EXAMPLE, "unknown": ", ".join(unknown) or _("(no name column)")}
        )
    rows = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rows.append(CardData(line=reader.line_num, problem=str(error)))
            continue
        if any(v.strip() for v in values):
            rows.append(_csv_row(reader.line_num, columns, values))
        if max_rows is not None and len(rows) > max_rows:
            break  # the caller refuses the file: reading further is wasted work
    return rows


def _csv_row(line: int, columns: list[str | None], values: list[str]) -> CardData:
    card = CardData(line=line)
    if len(values) > len(columns):
        card.problem = _("%(count)s values for %(columns)s columns") % {"count": len(values), "columns": len(columns)}
        return card
    for column, value in zip(columns, values, strict=False):
        value = value.strip()
        if not value:
            continue
        if column == "email":
            card.emails += [part.strip() for part in value.split(";") if part.strip()]
        elif column in PHONE_COLUMNS:
            card.phones += [(column, part.strip()) for part in value.split(";") if part.strip()]
        else:
            setattr(card, column, value)
    return card
