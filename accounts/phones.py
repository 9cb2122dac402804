"""Reading, validating and showing phone numbers.

Numbers are stored in E.164 (`+32475123456`). People type them in many ways; this
module accepts every unambiguous way and rejects the rest with a message that says
what is wrong and how to write it. It is the only place that parses a number:
forms, imports, the API and the SMS pipeline all call `parse_number`.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, ValidationResult, geocoder

EXAMPLE = "+32 475 12 34 56"
MAX_SHOWN = 40

# Punctuation people put between digits; everything else that is not a digit or a
# leading "+" makes the input "not a phone number".
_SEPARATORS = re.compile(r"[\s.\-/()\u00a0]")

# US and Canadian carriers often filter SMS that are not sent from a phone (A2P).
WARN_REGIONS = {"US", "CA"}

# Number types an SMS may go to, and those refused as destinations: premium-rate
# and shared-cost numbers charge the sender.
SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
BLOCKED_TYPES = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST}


class PhoneNumberError(ValueError):
    """A typed number that cannot be used; `str(error)` is the message for the user."""


@dataclass(frozen=True)
class ParsedNumber:
    e164: str
    region: str
    number_type: int
    warnings: list[str] = field(default_factory=list, compare=False)

    @property
    def international(self) -> str:
        return format_international(self.e164)

    @property
    def is_mobile(self) -> bool:
        return self.number_type in SMS_TYPES


@cache
def _territory_names(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language.replace("-", "_")).territories)
    except (UnknownLocaleError, ValueError):
        return dict(Locale.parse("en").territories)


def country_name(region: str) -> str:
    """The country's current name in the active language ("BE" -> "Belgium"), or the code itself."""
    # CLDR's names (through Babel) are kept current (Eswatini, North Macedonia, Czechia);
    # phonenumbers' geocoder names are decades old and lack some regions ("AC").
    language = get_language() or "en"
    return _territory_names(language).get(region) or geocoder._region_display_name(region, language[:2]) or region


def sort_key(name: str) -> str:
    """Alphabetical order as a reader expects it: accents and case do not count (Égypte after Dominique)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def country_choices() -> list[tuple[str, str]]:
    """Every region phonenumbers knows, as (code, "Name (+NN)") sorted by name in the active language."""
    choices = [
        (region, f"{country_name(region)} (+{phonenumbers.country_code_for_region(region)})")
        for region in phonenumbers.SUPPORTED_REGIONS
    ]
    return sorted(choices, key=lambda choice: sort_key(choice[1]))


@lru_cache(maxsize=4096)
def format_international(e164: str) -> str:
    """`+32475123456` -> `+32 475 12 34 56`; what cannot be parsed is returned as it is.

    Cached: a page of 50 recipients or contacts spent ~5 ms parsing the same kind of
    string again; the answer depends on the string alone (and phonenumbers' metadata)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def parse_number(raw: str, *, default_region: str | None = None, require_mobile: bool = False) -> ParsedNumber:
    """Read a typed number and return it normalised, or raise PhoneNumberError.

    Accepted: `+32 475 12 34 56`, `0032 475 12 34 56`, `32 475 123456` (a country
    code without "+"), `+32 0475 12 34 56` (a stray trunk zero) and a national
    number (`0475 12 34 56`) read with `default_region`. A number that reads as
    valid both with and without a country code is refused as ambiguous.
    With `require_mobile`, only mobile numbers pass (SMS destinations); premium-rate
    and shared-cost numbers are refused then too.
    """
    typed = (raw or "").strip()
    compact = _SEPARATORS.sub("", typed)
    if len(typed) > MAX_SHOWN:  # messages quote what was typed: never a whole pasted page
        typed = typed[: MAX_SHOWN - 1] + "…"
    if not compact:
        raise PhoneNumberError(_("Enter a phone number, for example %(example)s.") % {"example": EXAMPLE})
    if not re.fullmatch(r"\+?\d+", compact):
        raise PhoneNumberError(
            _("“%(typed)s” is not a phone number: use digits only, for example %(example)s.")
            % {"typed": typed, "example": EXAMPLE}
        )

    if compact.startswith("+"):
        number = _parse_international(compact[1:], typed)
    elif compact.startswith("00"):
        number = _parse_international(compact[2:], typed)
    elif compact.startswith("0"):
        number = _parse_national(compact, typed, default_region)
    else:
        number = _parse_without_plus(compact, typed, default_region)

    return _checked(number, typed, require_mobile=require_mobile)


def sms_refusal(*, e164: str, labelled_mobile: bool, label: str) -> str | None:
    """Why a stored contact number cannot be used for SMS, or None when it can.

    `label` is the type the contact's owner gave the number, as shown (home, work...);
    `e164` is empty when the stored number could not be read as international.
    """
    if not e164:
        return _("not in international format")
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return _("not in international format")
    if not phonenumbers.is_valid_number(number):
        return _("not a valid number")
    if not labelled_mobile:
        return _("labelled %(label)s, not mobile") % {"label": label}
    if phonenumbers.number_type(number) not in SMS_TYPES:
        return _("a fixed-line number, not a mobile")
    return None


def _parse_international(digits: str, typed: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse("+" + digits, None)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise PhoneNumberError(
                _("“%(typed)s” does not start with a known country code: write it like %(example)s.")
                % {"typed": typed, "example": EXAMPLE}
            ) from error
        raise _too_short_or_long(typed, error) from error


def _parse_national(digits: str, typed: str, default_region: str | None) -> phonenumbers.PhoneNumber:
    if not default_region:
        raise PhoneNumberError(
            _(
                "“%(typed)s” is a national number and no default country is set: add the country "
                "code (for example %(example)s) or choose a default country in Personal data."
            )
            % {"typed": typed, "example": EXAMPLE}
        )
    try:
        return phonenumbers.parse(digits, default_region)
    except NumberParseException as error:
        raise _too_short_or_long(typed, error) from error


def _parse_without_plus(digits: str, typed: str, default_region: str | None) -> phonenumbers.PhoneNumber:
    """`32 475 123456`: a country code without "+", or a national number without trunk zero (US)."""
    as_international = _valid_or_none("+" + digits, None)
    as_national = _valid_or_none(digits, default_region) if default_region else None
    if as_international and as_national and as_international != as_national:
        raise PhoneNumberError(
            _("“%(typed)s” could be %(first)s or %(second)s: write it with “+” and the country code.")
            % {
                "typed": typed,
                "first": phonenumbers.format_number(as_international, PhoneNumberFormat.INTERNATIONAL),
                "second": phonenumbers.format_number(as_national, PhoneNumberFormat.INTERNATIONAL),
            }
        )
    if as_international or as_national:
        return as_international or as_national
    # Neither reading is valid. With a default country, and digits that cannot even be a
    # number after a country code ("12345" is not +1 2345), the person typed a national
    # number of their own country: say what is wrong for that country. Otherwise report
    # against the international reading, which is what the help pages ask people to type.
    if default_region and not _possible("+" + digits, None):
        national = _parsed_or_none(digits, default_region)
        if national is not None:
            return national
    return _parse_international(digits, typed)


def _parsed_or_none(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _possible(text: str, region: str | None) -> bool:
    number = _parsed_or_none(text, region)
    return number is not None and phonenumbers.is_possible_number(number)


def _valid_or_none(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _checked(number: phonenumbers.PhoneNumber, typed: str, *, require_mobile: bool) -> ParsedNumber:
    # number_type() is UNKNOWN exactly when the number is not valid for its region; the
    # finer reasons are only worked out for a number that is refused (this runs 10,000
    # times for a large send, so the common path does the least).
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.UNKNOWN:
        raise _invalid(number, typed)
    region = phonenumbers.region_code_for_number(number) or _main_region(number.country_code)
    if require_mobile and number_type in BLOCKED_TYPES:
        raise PhoneNumberError(
            _("%(number)s is a premium-rate or shared-cost number: SMS cannot be sent to it.")
            % {"number": _shown(number)}
        )
    if require_mobile and number_type not in SMS_TYPES:
        raise PhoneNumberError(
            _("%(number)s is not a mobile number: SMS needs a mobile number, like %(example)s.")
            % {"number": _shown(number), "example": EXAMPLE}
        )
    warnings = []
    if region in WARN_REGIONS:
        warnings.append(
            _("%(number)s is a %(country)s number: carriers there often refuse SMS not sent from a phone.")
            % {"number": _shown(number), "country": country_name(region)}
        )
    e164 = f"+{number.country_code}{phonenumbers.national_significant_number(number)}"
    return ParsedNumber(e164=e164, region=region, number_type=number_type, warnings=warnings)


def _invalid(number: phonenumbers.PhoneNumber, typed: str) -> PhoneNumberError:
    """Why a number that parsed is not valid: unknown country code, length, or digits."""
    reason = phonenumbers.is_possible_number_with_reason(number)
    region = phonenumbers.region_code_for_number(number) or _main_region(number.country_code)
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return PhoneNumberError(
            _("“%(typed)s” does not start with a known country code: write it like %(example)s.")
            % {"typed": typed, "example": EXAMPLE}
        )
    if reason in (ValidationResult.TOO_SHORT, ValidationResult.INVALID_LENGTH, ValidationResult.TOO_LONG):
        return _length_error(typed, region, too_long=reason == ValidationResult.TOO_LONG)
    return PhoneNumberError(
        _("“%(typed)s” is not a valid number for %(country)s: check the digits, for example %(example)s.")
        % {"typed": typed, "country": country_name(region) if region else _("its country"), "example": EXAMPLE}
    )


def _shown(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _main_region(country_code: int) -> str:
    region = phonenumbers.region_code_for_country_code(country_code)
    return "" if region == phonenumbers.UNKNOWN_REGION else region


def _too_short_or_long(typed: str, error: NumberParseException) -> PhoneNumberError:
    # Only digits reach the parser, so whatever it refuses (other than the country
    # code, handled by the callers) is a matter of length.
    return _length_error(typed, "", too_long=error.error_type == NumberParseException.TOO_LONG)


def _length_error(typed: str, region: str, *, too_long: bool) -> PhoneNumberError:
    country = country_name(region) if region else _("its country")
    if too_long:
        message = _("“%(typed)s” has too many digits for %(country)s: write it like %(example)s.")
    else:
        message = _("“%(typed)s” has too few digits for %(country)s: write it like %(example)s.")
    return PhoneNumberError(message % {"typed": typed, "country": country, "example": EXAMPLE})
