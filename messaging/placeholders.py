"""Placeholders in an SMS text: `{first_name}`, `{city|Brussels}`; each recipient's text from its values.

    {first_name} {last_name} {name} {organisation}   from the recipient's contact
    {city}, {any_column}                              from the columns of a CSV (recipient_csv.py)
    {first_name|there}                                the fallback written in place, used when
                                                      the recipient has no value

A name is letters, digits and "_", read without case or accents (`{Prénom}` is `{prenom}`,
a CSV header "First name" is `{first_name}`). A brace that does not open such a name is
plain text. Typed numbers have no values: only
fallbacks apply. Reading only: planning.py uses this to build and count each text.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# A fallback may hold anything but braces and a line break.
PATTERN = re.compile(r"\{([^\W\d]\w{0,40})(?:\|([^{}\n]{0,200}))?\}")
CONTACT_FIELDS = {
    "first_name": _("first name"),
    "last_name": _("last name"),
    "name": _("name"),
    "organisation": _("organisation"),
}


@dataclass(frozen=True)
class Slot:
    name: str  # lower case
    fallback: str | None  # None: no fallback written


@dataclass(frozen=True)
class Template:
    """A text cut into literal runs and slots once, then filled in for each recipient."""

    pieces: tuple[str | Slot, ...]

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(piece for piece in self.pieces if isinstance(piece, Slot))

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(slot.name for slot in self.slots))

    def render(self, values: Mapping[str, str]) -> tuple[str, list[str]]:
        """The text for one recipient and the names it has no value (and no fallback) for."""
        out: list[str] = []
        missing: list[str] = []
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            value = values.get(piece.name, "").strip()
            if value:
                out.append(value)
            elif piece.fallback is not None:
                out.append(piece.fallback)
            elif piece.name not in missing:
                missing.append(piece.name)
        return "".join(out), missing


def parse(text: str) -> Template:
    pieces: list[str | Slot] = []
    position = 0
    for match in PATTERN.finditer(text):
        if match.start() > position:
            pieces.append(text[position : match.start()])
        pieces.append(Slot(column_key(match.group(1)), match.group(2)))
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    return Template(tuple(pieces))


def column_key(header: str) -> str:
    """A CSV header or a placeholder as its name: "First name" -> first_name, "Prénom" -> prenom."""
    plain = unicodedata.normalize("NFKD", header.strip().lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:40]


def contact_values(name: str, organisation: str) -> dict[str, str]:
    """A contact's values. The first word of the name is the first name, the rest the last name."""
    first, _space, last = name.strip().partition(" ")
    return {"name": name.strip(), "first_name": first, "last_name": last.strip(), "organisation": organisation}
