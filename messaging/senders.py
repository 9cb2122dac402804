"""Sender identity: the gateway's number, or an alphanumeric sender ID ("ACME").

The rules stand here once, for the settings page, the admin, the composer and the API:

- a sender ID is 1 to 11 characters of A-Z, a-z, 0-9 and space, with at least one letter
  (Twilio: https://www.twilio.com/docs/glossary/what-alphanumeric-sender-id; these are GSM
  03.38 characters on every network, where accented letters are not always carried);
- recipients in SMS_ALPHANUMERIC_SENDER_REFUSED_COUNTRIES (the United States and Canada by
  default: their carriers drop such SMS) get it from the gateway's number instead;
- nobody can answer a name: only SMS sent from the number can be replied to, so reply
  routing (services/incoming.py) only considers those.
"""

import re

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.phones import country_name

SENDER_ID_MAX = 11
_ALLOWED = re.compile(r"[A-Za-z0-9 ]*")


def sender_id_problem(name: str) -> str:
    """Why `name` cannot be a sender ID ("" when it can)."""
    if not name.strip():
        return _("Give a sender ID: 1 to 11 letters, digits or spaces.")
    if len(name) > SENDER_ID_MAX:
        return _("“%(name)s” has %(count)s characters: a sender ID has at most 11.") % {
            "name": name[:40],
            "count": len(name),
        }
    if not _ALLOWED.fullmatch(name):
        bad = "".join(dict.fromkeys(c for c in name if not _ALLOWED.fullmatch(c)))
        shown = " ".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in bad)
        return _("“%(name)s” contains %(bad)s: a sender ID takes only A-Z, a-z, 0-9 and spaces.") % {
            "name": name if name.isprintable() else name.encode("unicode_escape").decode(),
            "bad": shown,
        }
    if not any(c.isalpha() for c in name):
        return _("“%(name)s” has no letter: a sender ID of digits only would look like a number.") % {"name": name}
    if name != name.strip() or "  " in name:
        return _("“%(name)s”: no spaces at the ends and no two spaces in a row.") % {"name": name}
    return ""


def name_refused_for(number: str) -> bool:
    """True when `number` (E.164) is in a country whose carriers refuse alphanumeric senders."""
    refused = {c.strip().upper() for c in settings.SMS_ALPHANUMERIC_SENDER_REFUSED_COUNTRIES if c.strip()}
    if not refused:
        return False
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return True  # unreadable here: the number is the safe sender
    return region in refused


def sender_for(name: str, number: str) -> str:
    """What `number` is sent from: `name`, or "" (the gateway's number) where names are refused."""
    return "" if not name or name_refused_for(number) else name


def refused_countries_named() -> str:
    """The countries that refuse names, as the composer names them: "United States, Canada"."""
    return ", ".join(country_name(c.strip().upper()) for c in settings.SMS_ALPHANUMERIC_SENDER_REFUSED_COUNTRIES)
