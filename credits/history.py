"""What each send on the credit history was, in words, told by the apps that send.

credits sits below the apps that send (messaging, reminders, mail alerts), so it cannot
ask them; they tell it instead. Each registers, in its AppConfig.ready(), a describer
for the sends whose hold reference starts with a prefix ("message"): given the ids of
one history page, it answers {id: Description} for the ones it knows, in one query. The
describers run in registration order (INSTALLED_APPS order: messaging first, then the
apps above it) and a later answer replaces an earlier one, so "Mail alert: Anna Smith:
Budget" replaces messaging's "SMS to +32 475 12 34 56".
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Description:
    words: str
    url: str = ""


Describer = Callable[[list[int]], dict[int, Description]]
_describers: list[tuple[str, Describer]] = []


def register_describer(prefix: str, describer: Describer) -> None:
    if (prefix, describer) not in _describers:
        _describers.append((prefix, describer))


def describe_sends(references: list[str]) -> dict[str, Description]:
    """Words and links for hold references such as "message:42" (unknown ones are left out)."""
    ids_by_prefix: dict[str, list[int]] = {}
    for reference in references:
        prefix, _colon, number = reference.partition(":")
        if number.isdigit():
            ids_by_prefix.setdefault(prefix, []).append(int(number))
    described: dict[str, Description] = {}
    for prefix, describer in _describers:
        ids = ids_by_prefix.get(prefix)
        if ids:
            for number, description in describer(ids).items():
                described[f"{prefix}:{number}"] = description
    return described
