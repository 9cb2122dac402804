"""Reading the fetched headers of one message into what filters and alert texts need.

Headers come from strangers: any of them may be huge, binary, mis-encoded or built to
break parsers. Everything here is bounded (the fetch takes at most 16 KB of headers,
each value is cut to MAX_VALUE characters before decoding) and every decoding error
falls back to showing the characters as they are.
"""

import email.errors
import email.utils
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from email.header import decode_header

MAX_VALUE = 2000  # characters of one header value read
MAX_ADDRESSES = 50  # To + Cc addresses kept
SHOWN = 200  # characters kept for display (sender, subject)
_FOLD = re.compile(rb"\r?\n[ \t]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NewMail:
    uid: int
    sender_name: str
    sender_address: str  # lower case
    recipients: tuple[tuple[str, str], ...]  # (name, address) from To and Cc
    subject: str
    size: int  # bytes
    has_attachment: bool
    important: bool
    message_id: str = ""  # the Message-ID header, without its angle brackets
    date: str = ""  # the Date header as written

    @property
    def identity(self) -> str:
        """Who this email is, across mailboxes: a digest of its Message-ID, else of its
        sender, subject and date (a copy in another account carries the same ones)."""
        if self.message_id:
            whole = f"id\n{self.message_id}"
        else:
            whole = f"headers\n{self.sender_address}\n{self.subject}\n{self.date}"
        return hashlib.sha256(whole.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def sender(self) -> str:
        """What an SMS shows: the name, else the address."""
        return self.sender_name or self.sender_address


def read_mail(uid: int, data: dict) -> NewMail:
    """A NewMail from one IMAPClient FETCH response (RFC822.SIZE, FLAGS, BODYSTRUCTURE, header fields)."""
    raw = next((value for key, value in data.items() if key.startswith(b"BODY[")), b"") or b""
    fields = parse_fields(raw if isinstance(raw, bytes) else b"")
    sender_name, sender_address = _address(fields.get("from", ""))
    recipients = []
    for key in ("to", "cc"):
        for name, address in _addresses(fields.get(key, "")):
            recipients.append((name, address))
    flags = {flag.lower() for flag in data.get(b"FLAGS", ()) if isinstance(flag, bytes)}
    return NewMail(
        uid=uid,
        sender_name=clean(decode_words(sender_name)),
        sender_address=clean(sender_address).lower(),
        recipients=tuple(recipients[:MAX_ADDRESSES]),
        subject=clean(decode_words(fields.get("subject", ""))),
        size=_int(data.get(b"RFC822.SIZE")),
        has_attachment=has_attachment(data.get(b"BODYSTRUCTURE")),
        important=b"\\flagged" in flags or _marked_important(fields),
        message_id=clean(fields.get("message-id", ""), 500).strip("<>"),
        date=clean(fields.get("date", "")),
    )


def parse_fields(raw: bytes) -> dict[str, str]:
    """Header name (lower case) -> first value, unfolded; bytes read as UTF-8, else Latin-1."""
    fields: dict[str, str] = {}
    for line in _FOLD.sub(b" ", raw).split(b"\n"):
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            continue
        key = name.strip().decode("ascii", "replace").lower()
        if key not in fields:
            fields[key] = _text(value.strip()[: MAX_VALUE * 4])[:MAX_VALUE]
    return fields


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")  # raw UTF-8 in headers (RFC 6532) is common
    except UnicodeDecodeError:
        return value.decode("latin-1")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (=?utf-8?q?...?=); what cannot be decoded is shown as is."""
    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(charset or "raw-unicode-escape", "replace"))
        except (LookupError, UnicodeError):  # an unknown or broken charset name
            out.append(chunk.decode("latin-1"))
    return "".join(out)


def clean(text: str, limit: int = SHOWN) -> str:
    """One line of printable text: control and format characters (bidi overrides,
    zero-width joiners, NUL) become spaces, runs of spaces one space."""
    text = "".join(" " if unicodedata.category(char)[0] in "CZ" and char != " " else char for char in text)
    return _SPACE.sub(" ", text).strip()[:limit]


def _address(value: str) -> tuple[str, str]:
    found = _addresses(value)
    return found[0] if found else ("", "")


def _addresses(value: str) -> list[tuple[str, str]]:
    if not value:
        return []
    try:
        pairs = email.utils.getaddresses([value])
    except (ValueError, IndexError, email.errors.HeaderParseError):
        return []
    return [(name, address.lower()) for name, address in pairs[:MAX_ADDRESSES] if name or "@" in address]


def _marked_important(fields: dict[str, str]) -> bool:
    importance = fields.get("importance", "").strip().lower()
    priority = fields.get("x-priority", "").strip()[:1]
    return importance == "high" or priority in {"1", "2"} or fields.get("priority", "").strip().lower() == "urgent"


def has_attachment(structure, depth: int = 0) -> bool:
    """True when some part of the BODYSTRUCTURE is marked as an attachment or names a file."""
    if depth > 20 or not isinstance(structure, (tuple, list)):
        return False
    items = list(structure)
    for index, item in enumerate(items):
        if isinstance(item, bytes):
            word = item.lower()
            if word == b"attachment":
                return True
            if word in {b"filename", b"name"} and index + 1 < len(items) and isinstance(items[index + 1], bytes):
                return True
        elif has_attachment(item, depth + 1):
            return True
    return False


def _int(value) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
