"""vCard (RFC 6350, and the 2.1/3.0 files phones and mail programs still write).

A small reader and writer for the properties an address book keeps (FN, N, ORG,
NOTE, EMAIL, TEL): precise about line numbers so that an import can say which card
(and which value) is wrong, and lenient where real exports bend the standard:

- vCard 2.1 quoted-printable values continue on the next line after a "=" (every
  Outlook address label) and are decoded with their CHARSET;
- iOS 5/6 end lines with CR CR LF, also inside folded photos; 2.1 photos continue
  without the leading space; a "#" comment line, a backslash continuation or any
  other line that is not a property is skipped and named, the card kept;
- property names with "/" (X-messaging/twitter-All); TYPE="work,cell,voice" quoted;
- several FN (vCard 4 ALTID/LANGUAGE): the one with the lowest PREF, else the first.

vobject (a maintained reader) refuses 16 of the 59 real-world files of the corpus
whole for one such line, where we keep every other card: bench/imports_corpus.py
compares both. vobject checks our export in the tests.
"""

import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# vCard TEL types -> our labels. A number typed as a mobile anywhere in its list is a
# mobile (it can take SMS: "work,cell,voice" is a work mobile); otherwise the first we know.
TEL_TYPES = {"cell": "mobile", "mobile": "mobile", "home": "home", "work": "work", "fax": "fax"}
LABEL_TYPES = {"mobile": "CELL", "home": "HOME", "work": "WORK", "fax": "FAX", "other": "VOICE"}
FOLD_AT = 75  # octets per line, RFC 6350 section 3.2
# The start of a property line: an optional group, a name (letters, digits, "-", and the
# "/" some exporters use), then its parameters or value.
PROPERTY_START = re.compile(r"^(?:[\w-]+\.)?[A-Za-z][\w/-]*[;:]")


@dataclass
class CardData:
    """One contact as read from a file; `line` is where it starts, for error reports."""

    line: int
    name: str = ""
    organisation: str = ""
    notes: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (label, number as written)
    problem: str = ""
    # Values that were left out while the card was kept: (line, why).
    skipped: list[tuple[int, str]] = field(default_factory=list)
    phone_lines: list[int] = field(default_factory=list)  # the line of each of `phones`
    email_lines: list[int] = field(default_factory=list)


def read_cards(text: str) -> Iterator[CardData]:
    """Yield every BEGIN:VCARD ... END:VCARD block of `text`, in order.

    A block that is malformed comes back with `problem` set rather than stopping
    the whole file: the import reports it by line and goes on with the next card.
    """
    card: CardData | None = None
    family_given, name_pref = "", None
    for line_number, line in _unfolded(text):
        if not line.strip():
            continue
        name, params, value = _split_property(line)
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            if card is not None:
                card.problem = card.problem or _("BEGIN:VCARD inside a card: END:VCARD is missing")
                yield card
            card, family_given, name_pref = CardData(line=line_number), "", None
            continue
        if card is None:
            if line.lstrip().startswith("#"):
                continue
            yield CardData(line=line_number, problem=_("text outside a card: %(text)r") % {"text": line[:40]})
            continue
        if name == "END" and value.strip().upper() == "VCARD":
            card.name = card.name or family_given
            yield card
            card = None
            continue
        if name is None:
            if not line.lstrip().startswith("#"):  # a comment (Android writes them) is no loss
                card.skipped.append((line_number, _("not a vCard property, skipped: %(text)r") % {"text": line[:40]}))
            continue
        if name not in ("FN", "N", "ORG", "NOTE", "EMAIL", "TEL"):
            continue
        try:
            value = _decoded_value(params, value)
        except (LookupError, ValueError):
            card.skipped.append((line_number, _("%(property)s: its CHARSET cannot be read") % {"property": name}))
            continue
        if name == "FN":
            pref = _pref(params)
            if not card.name or (pref is not None and (name_pref is None or pref < name_pref)):
                card.name, name_pref = _unescape(value), pref
        elif name == "N":
            family_given = family_given or _name_from_n(value)
        elif name == "ORG":
            card.organisation = _unescape(_components(value)[0])
        elif name == "NOTE":
            card.notes = _unescape(value)
        elif name == "EMAIL":
            card.emails.append(_unescape(value).strip())
            card.email_lines.append(line_number)
        elif name == "TEL":
            card.phones.append((_tel_label(params), _number(_unescape(value))))
            card.phone_lines.append(line_number)
    if card is not None:
        card.problem = card.problem or _("the file ends inside a card: END:VCARD is missing")
        yield card


def _number(value: str) -> str:
    """A TEL value as written, without the tel: URI's scheme; an extension stays readable."""
    value = value.strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
        value = re.sub(r";ext=", " ext. ", value, flags=re.IGNORECASE)
        value = value.split(";", 1)[0]  # other URI parameters (isub, phone-context) are not the number
    return value


def _pref(params: list[str]) -> int | None:
    for param in params:
        key, _sep, value = param.partition("=")
        if key.upper() == "PREF" and value.strip('"').isdigit():
            return int(value.strip('"'))
    return None


def _decoded_value(params: list[str], value: str) -> str:
    """The value with vCard 2.1's QUOTED-PRINTABLE undone, in its CHARSET (UTF-8 by default)."""
    upper = [param.upper() for param in params]
    if "ENCODING=QUOTED-PRINTABLE" not in upper and "QUOTED-PRINTABLE" not in upper:
        return value
    charset = next((p.split("=", 1)[1].strip('"') for p in params if p.upper().startswith("CHARSET=")), "utf-8")
    decoded = quopri.decodestring(value.encode("utf-8")).decode(charset)
    # Decoded line ends are real ones: escaped, so that _unescape gives them back.
    return re.sub(r"\r\n|\r|\n", r"\\n", decoded)


def write_cards(cards: Iterable[CardData]) -> str:
    """vCard 3.0 text for `cards`, with CRLF line ends as the standard asks."""
    lines: list[str] = []
    for card in cards:
        lines += ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(card.name)}", f"N:{_escape(card.name)};;;;"]
        if card.organisation:
            lines.append(f"ORG:{_escape(card.organisation)}")
        lines += [f"EMAIL;TYPE=INTERNET:{_escape(address)}" for address in card.emails]
        lines += [f"TEL;TYPE={LABEL_TYPES.get(label, 'VOICE')}:{_escape(number)}" for label, number in card.phones]
        if card.notes:
            lines.append(f"NOTE:{_escape(card.notes)}")
        lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _unfolded(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines with the number of their first physical line (RFC 6350 3.2 folding).

    Also joins a quoted-printable value that goes on after a soft line break ("=" at
    the end, vCard 2.1) and the unindented lines of a 2.1 BASE64 value.
    """
    current, start = None, 0
    # iOS 5/6 write CR CR LF: one line end. Only CR/LF end a line: str.splitlines()
    # would also split on U+2028 and friends, which may stand inside a value.
    text = re.sub(r"\r+\n", "\n", text)
    for number, physical in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if current is not None:
            if physical[:1] in (" ", "\t"):
                current += physical[1:]
                continue
            if current.endswith("=") and _is_quoted_printable(current):
                current = current[:-1] + physical
                continue
            if physical and not PROPERTY_START.match(physical) and _is_base64(current):
                current += physical
                continue
            yield start, current
        current, start = physical, number
    if current is not None:
        yield start, current


def _property_head(line: str) -> str:
    return line.split(":", 1)[0].upper() if ":" in line else ""


def _is_quoted_printable(line: str) -> bool:
    return "QUOTED-PRINTABLE" in _property_head(line)


def _is_base64(line: str) -> bool:
    head = _property_head(line)
    return "BASE64" in head or "ENCODING=B" in head


def _split_property(line: str) -> tuple[str | None, list[str], str]:
    match = re.match(r"^(?:[\w-]+\.)?([A-Za-z][\w/-]*)((?:;[^:]*)?):(.*)$", line)
    if not match:
        return None, [], ""
    name, params, value = match.groups()
    return name.upper(), [p for p in params.split(";") if p], value


def _tel_label(params: list[str]) -> str:
    types: list[str] = []
    for param in params:
        key, _sep, value = param.partition("=")
        # vCard 2.1 writes bare types (TEL;CELL:...), 3.0/4.0 write TYPE=cell,voice or TYPE="cell,voice".
        candidates = value if key.upper() == "TYPE" else (key if not value else "")
        types += [t.strip().lower() for t in candidates.strip('"').split(",") if t.strip()]
    if "cell" in types or "mobile" in types:
        return "mobile"
    for kind in types:
        if kind in TEL_TYPES:
            return TEL_TYPES[kind]
    return "other"


def _name_from_n(value: str) -> str:
    parts = [_unescape(p) for p in _components(value)] + [""] * 5
    family, given, additional, prefix, suffix = parts[:5]
    return " ".join(p for p in (prefix, given, additional, family, suffix) if p)


def _components(value: str) -> list[str]:
    """Split a structured value (N, ORG) at the ";" that are not escaped as "\\;"."""
    parts, current, escaped = [], "", False
    for char in value:
        if escaped:
            current, escaped = current + "\\" + char, False
        elif char == "\\":
            escaped = True
        elif char == ";":
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current + ("\\" if escaped else "")]


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _escape(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return re.sub(r"\r\n|\r|\n", r"\\n", value)


def _fold(line: str) -> str:
    """Split at FOLD_AT octets without cutting a UTF-8 character in two."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        limit = FOLD_AT if not pieces else FOLD_AT - 1  # continuation lines start with a space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)
