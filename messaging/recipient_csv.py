"""Recipients from a CSV, pasted or uploaded: read and checked here, sent through planning.

A header row; one column of numbers (recognised by its name, or chosen); every other
column becomes a placeholder (`City` -> `{city}`). Bad rows are reported with their line
and reason (not a number, not a mobile, duplicate, a formula) and the good ones kept.
A file that cannot be read as a whole is refused with the reason, nothing kept:
not UTF-8 (with or without BOM) nor Windows-1252, binary, too large, too many columns
or rows, a line too long, no column of numbers. Reading only: no writes here.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.phones import PhoneNumberError, parse_number

from . import placeholders
from .services.planning import CsvRow

MAX_COLUMNS = 50
MAX_LINE = 10_000  # characters in one line of the file
MAX_CELL = 500  # characters in one cell: a placeholder value, not a document
# Header names of the column of numbers (accents and case ignored, spaces as "_").
NUMBER_HEADERS = {
    "number", "numbers", "mobile", "mobile_number", "mobile_phone", "phone", "phone_number", "telephone",
    "tel", "gsm", "cell", "cellphone", "cell_phone", "sms", "to", "numero", "numero_de_telephone",
    "portable", "nummer", "telefoon", "telefoonnummer", "mobiel", "gsm_nummer", "handy", "handynummer",
    "telefon", "telefonnummer", "mobilnummer",
}  # fmt: skip


class CsvRefused(ValueError):
    """The file as a whole cannot be used; `str(error)` says why and what to change."""


@dataclass(frozen=True)
class BadRow:
    line: int
    value: str
    reason: str


@dataclass
class CsvRecipients:
    rows: list[CsvRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    number_column: str = ""  # the header read as the numbers
    columns: list[str] = field(default_factory=list)  # the placeholders the other columns give


def max_bytes() -> int:
    return settings.SMS_CSV_MAX_BYTES


def decode(data: bytes) -> str:
    """The file as text: UTF-8 (a BOM allowed), else Windows-1252 (what spreadsheets write in
    Belgium); anything else is refused, never misread."""
    if len(data) > max_bytes():
        raise CsvRefused(too_large(len(data)))
    if b"\x00" in data:
        raise CsvRefused(_("The file is not text (it contains NUL bytes; UTF-16?): save it as “CSV UTF-8”."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise CsvRefused(
                _("The file is neither UTF-8 nor Windows-1252 text (byte %(position)s): save it as “CSV UTF-8”.")
                % {"position": error.start}
            ) from error
    if any(unicodedata.category(char) == "Cc" and char not in "\t\r\n" for char in text[:100_000]):
        raise CsvRefused(_("The file is not a CSV text (a spreadsheet file?): save it as “CSV UTF-8”."))
    return text


def too_large(size: int) -> str:
    return _("The file is %(size)s KB: at most %(max)s KB. Split it or remove columns.") % {
        "size": size // 1024,
        "max": max_bytes() // 1024,
    }


def too_many_columns(count: int) -> str:
    return _("The CSV has %(count)s columns: at most %(max)s. Keep the number and the columns the text uses.") % {
        "count": count,
        "max": MAX_COLUMNS,
    }


def read(*, text: str, number_column: str = "", default_region: str | None, max_rows: int) -> CsvRecipients:
    """The recipients of a CSV text. Raises CsvRefused when the file cannot be used as a whole."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes():
        raise CsvRefused(too_large(len(text.encode("utf-8", "surrogatepass"))))
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise CsvRefused(_("The CSV is empty: paste a header row, then one row per recipient."))
    delimiter = max(";,\t", key=header_line.count)
    if header_line.count(delimiter) + 1 > MAX_COLUMNS:
        raise CsvRefused(too_many_columns(header_line.count(delimiter) + 1))
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise CsvRefused(
                _("Line %(line)s is %(length)s characters long: at most %(max)s.")
                % {"line": number, "length": len(line), "max": MAX_LINE}
            )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
        while not any(headers):
            headers = [h.strip() for h in next(reader)]
    except (csv.Error, StopIteration) as error:
        raise CsvRefused(_("The CSV cannot be read: %(error)s.") % {"error": error}) from error
    if len(headers) > MAX_COLUMNS:
        raise CsvRefused(too_many_columns(len(headers)))
    number_index = _number_column(headers, number_column)
    keys = [placeholders.column_key(h) for h in headers]
    duplicated = {k for k in keys if k and keys.count(k) > 1}
    if duplicated:
        raise CsvRefused(
            _("Two columns have the same name (%(names)s): rename one.") % {"names": ", ".join(sorted(duplicated))}
        )
    result = CsvRecipients(
        headers=headers,
        number_column=headers[number_index],
        columns=[k for i, k in enumerate(keys) if k and i != number_index],
    )
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(result.rows) + len(result.bad) >= max_rows:
                raise CsvRefused(
                    _("The CSV has more than %(max)s rows: at most %(max)s recipients in one send. Split it.")
                    % {"max": max_rows}
                )
            result_row = _row(line, values, headers, keys, number_index, default_region, seen)
            if isinstance(result_row, BadRow):
                result.bad.append(result_row)
            else:
                result.rows.append(result_row)
    except csv.Error as error:
        raise CsvRefused(
            _("Line %(line)s cannot be read: %(error)s.") % {"line": reader.line_num, "error": error}
        ) from error
    return result


def _number_column(headers: list[str], chosen: str) -> int:
    if chosen:
        if chosen in headers:
            return headers.index(chosen)
        raise CsvRefused(_("There is no column “%(name)s” in the CSV.") % {"name": chosen[:60]})
    for index, header in enumerate(headers):
        if placeholders.column_key(header) in NUMBER_HEADERS:
            return index
    raise CsvRefused(
        _(
            "No column of numbers: name it “mobile” (or “number”, “phone”, “gsm”), or choose it below. "
            "Columns: %(names)s."
        )
        % {"names": ", ".join(h[:40] for h in headers[:10]) or _("none")}
    )


def _row(
    line: int,
    values: list[str],
    headers: list[str],
    keys: list[str],
    number_index: int,
    default_region: str | None,
    seen: dict[str, int],
) -> CsvRow | BadRow:
    raw = values[number_index].strip() if number_index < len(values) else ""
    if len(values) > len(headers):
        return BadRow(line, raw[:40], _("more cells than the header has columns"))
    if not raw:
        return BadRow(line, "", _("no number"))
    for header, value in zip(headers, values, strict=False):
        if len(value) > MAX_CELL:
            return BadRow(
                line,
                raw[:40],
                _("the cell “%(column)s” is longer than %(max)s characters") % {"column": header[:40], "max": MAX_CELL},
            )
        if value.lstrip().startswith("="):
            # A formula as text (=HYPERLINK(...)): the spreadsheet should have exported its value.
            return BadRow(
                line,
                raw[:40],
                _("the cell “%(column)s” is a spreadsheet formula: put its value") % {"column": header[:40]},
            )
    try:
        parsed = parse_number(raw, default_region=default_region, require_mobile=True)
    except PhoneNumberError as error:
        return BadRow(line, raw[:40], str(error))
    if parsed.e164 in seen:
        return BadRow(line, raw[:40], _("duplicate of line %(line)s") % {"line": seen[parsed.e164]})
    seen[parsed.e164] = line
    own = {keys[i]: v.strip() for i, v in enumerate(values) if i != number_index and keys[i]}
    return CsvRow(parsed.e164, line, own)
