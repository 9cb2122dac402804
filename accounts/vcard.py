"""vCard (RFC 6350, and the 2.1/3.0 files phones and mail programs still write).

A small reader and writer for the properties an address book keeps (FN, N, ORG,
NOTE, EMAIL, TEL): small enough to read, and precise about line numbers so that an
import can say which card is wrong.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# vCard TEL types -> our labels; the first type we know wins ("CELL,VOICE" is mobile).
TEL_TYPES = {"cell": "mobile", "mobile": "mobile", "home": "home", "work": "work", "fax": "fax"}
LABEL_TYPES = {"mobile": "CELL", "home": "HOME", "work": "WORK", "fax": "FAX", "other": "VOICE"}
FOLD_AT = 75  # octets per line, RFC 6350 section 3.2


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


def read_cards(text: str) -> Iterator[CardData]:
    """Yield every BEGIN:VCARD ... END:VCARD block of `text`, in order.

    A block that is malformed comes back with `problem` set rather than stopping
    the whole file: the import reports it by line and goes on with the next card.
    """
    card: CardData | None = None
    family_given = ""
    for line_number, line in _unfolded(text):
        if not line.strip():
            continue
        name, params, value = _split_property(line)
        if name == "BEGIN" and value.upper() == "VCARD":
            if card is not None:
                card.problem = card.problem or "BEGIN:VCARD inside a card: END:VCARD is missing"
                yield card
            card, family_given = CardData(line=line_number), ""
            continue
        if card is None:
            yield CardData(line=line_number, problem=f"text outside a card: {line[:40]!r}")
            continue
        if name == "END" and value.upper() == "VCARD":
            card.name = card.name or family_given
            yield card
            card = None
            continue
        if name is None:
            card.problem = card.problem or f"line {line_number} is not a vCard property: {line[:40]!r}"
        elif name == "FN":
            card.name = _unescape(value)
        elif name == "N":
            family_given = _name_from_n(value)
        elif name == "ORG":
            card.organisation = _unescape(_components(value)[0])
        elif name == "NOTE":
            card.notes = _unescape(value)
        elif name == "EMAIL":
            card.emails.append(_unescape(value).strip())
        elif name == "TEL":
            card.phones.append((_tel_label(params), _unescape(value).removeprefix("tel:").strip()))
    if card is not None:
        card.problem = card.problem or "the file ends inside a card: END:VCARD is missing"
        yield card


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
    """Logical lines with the number of their first physical line (RFC 6350 3.2 folding)."""
    current, start = None, 0
    # Only CR/LF end a line: str.splitlines() would also split on U+2028 and
    # friends, which may stand inside a value.
    for number, physical in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if physical[:1] in (" ", "\t") and current is not None:
            current += physical[1:]
            continue
        if current is not None:
            yield start, current
        current, start = physical, number
    if current is not None:
        yield start, current


def _split_property(line: str) -> tuple[str | None, list[str], str]:
    match = re.match(r"^(?:[\w-]+\.)?([A-Za-z][\w-]*)((?:;[^:]*)?):(.*)$", line)
    if not match:
        return None, [], ""
    name, params, value = match.groups()
    return name.upper(), [p for p in params.split(";") if p], value


def _tel_label(params: list[str]) -> str:
    types: list[str] = []
    for param in params:
        key, _sep, value = param.partition("=")
        # vCard 2.1 writes bare types (TEL;CELL:...), 3.0/4.0 write TYPE=cell,voice.
        candidates = value if key.upper() == "TYPE" else (key if not value else "")
        types += [t.strip('"').lower() for t in candidates.split(",") if t]
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
