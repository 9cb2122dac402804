"""Number parsing: every accepted way of typing a number, and every refusal's message."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.phones import PhoneNumberError, format_international, parse_number, sms_refusal

SAME_BELGIAN_MOBILE = [
    "+32 475 12 34 56",
    "0032 475 12 34 56",
    "32 475 123456",
    "+32 0475 12 34 56",
    "+32475123456",
    "+32 (0)475 12.34.56",
    "+32-475-12-34-56",
]


@pytest.mark.parametrize("typed", SAME_BELGIAN_MOBILE)
def test_every_accepted_form_gives_the_same_e164(typed):
    parsed = parse_number(typed, default_region=None, require_mobile=True)
    assert parsed.e164 == "+32475123456"
    assert parsed.international == "+32 475 12 34 56"
    assert parsed.region == "BE"
    assert parsed.warnings == []


def test_national_number_is_read_with_the_default_country():
    assert parse_number("0475 12 34 56", default_region="BE").e164 == "+32475123456"
    assert parse_number("06 12 34 56 78", default_region="FR").e164 == "+33612345678"


def test_national_number_without_default_country_says_how_to_fix_it():
    with pytest.raises(PhoneNumberError) as error:
        parse_number("0475 12 34 56", default_region=None)
    assert "no default country" in str(error.value)
    assert "+32 475 12 34 56" in str(error.value)


def test_italian_leading_zero_is_kept():
    # Italy keeps its "0" after the country code: it is not a trunk prefix there.
    assert parse_number("+39 06 1234 5678").e164 == "+390612345678"


def test_number_valid_with_and_without_country_code_is_refused_as_ambiguous():
    # For someone in Germany, "49 170 1234567" reads as +49 170 1234567 (country code
    # without "+") and as a German national number +49 491 701234567: both exist.
    with pytest.raises(PhoneNumberError) as error:
        parse_number("49 170 1234567", default_region="DE")
    message = str(error.value)
    assert "could be" in message and "+49 170 1234567" in message and "+49 491 701234567" in message


def test_fixed_line_refused_where_a_mobile_is_needed():
    assert parse_number("+32 2 555 12 12").e164 == "+3225551212"
    with pytest.raises(PhoneNumberError) as error:
        parse_number("+32 2 555 12 12", require_mobile=True)
    assert "is not a mobile number" in str(error.value)
    assert "+32 2 555 12 12" in str(error.value)


def test_premium_rate_refused_for_sms():
    with pytest.raises(PhoneNumberError) as error:
        parse_number("+32 900 12 345", require_mobile=True)
    assert "premium-rate" in str(error.value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+32 475", "too few digits for Belgium"),
        ("+32 475 12 34 56 78 90", "too many digits for Belgium"),
        ("hello", "is not a phone number"),
        ("+32 475 12 34 5x", "is not a phone number"),
        ("", "Enter a phone number"),
        ("   ", "Enter a phone number"),
        ("+999 1234 5678", "known country code"),
        ("+", "is not a phone number"),
        ("12", "too few digits"),
        ("+32 123 45 67 89", "not a valid number for Belgium"),
    ],
)
def test_bad_numbers_say_what_is_wrong_and_how_to_write_it(typed, expected):
    with pytest.raises(PhoneNumberError) as error:
        parse_number(typed, default_region="BE")
    assert expected in str(error.value)


def test_us_and_canadian_numbers_carry_a_warning():
    parsed = parse_number("+1 212 555 0100")
    assert parsed.is_mobile  # US numbers do not say whether they are mobile
    assert parsed.warnings and "carriers there often refuse SMS" in parsed.warnings[0]
    assert parse_number("+1 604 555 0100").warnings  # Canada


def test_format_international_leaves_unreadable_text_alone():
    assert format_international("+33612345678") == "+33 6 12 34 56 78"
    assert format_international("0475 12") == "0475 12"


@pytest.mark.parametrize(
    ("e164", "labelled_mobile", "label", "reason"),
    [
        ("+32475123456", True, "mobile", None),
        ("", True, "mobile", "not in international format"),
        ("+32475123456", False, "home", "labelled home, not mobile"),
        ("+3225551212", True, "mobile", "a fixed-line number, not a mobile"),
        ("+3212", True, "mobile", "not a valid number"),
    ],
)
def test_why_a_contact_number_is_not_smsable(e164, labelled_mobile, label, reason):
    assert sms_refusal(e164=e164, labelled_mobile=labelled_mobile, label=label) == reason


@given(typed=st.text(max_size=40), region=st.sampled_from([None, "BE", "FR", "US", "DE", "IT"]))
def test_any_input_is_either_a_number_or_a_clear_refusal(typed, region):
    try:
        parsed = parse_number(typed, default_region=region)
    except PhoneNumberError as error:
        assert str(error)
    else:
        assert parsed.e164.startswith("+") and parsed.e164[1:].isdigit()
        assert parse_number(parsed.e164).e164 == parsed.e164  # normalising is stable


@given(digits=st.from_regex(r"\+?[0-9 ]{1,25}", fullmatch=True), region=st.sampled_from([None, "BE", "NL"]))
def test_any_digits_are_either_a_number_or_a_clear_refusal(digits, region):
    try:
        parse_number(digits, default_region=region, require_mobile=True)
    except PhoneNumberError as error:
        assert str(error)


def test_a_pasted_page_is_refused_without_quoting_it_whole():
    with pytest.raises(PhoneNumberError) as error:
        parse_number("1" * 100_000)
    assert len(str(error.value)) < 200
