"""Settings → Personal data: the mobile number is normalised, bad input saves nothing."""

import pytest
from django.urls import reverse

URL = reverse("personal_data")


def form_data(**overrides):
    data = {
        "full_name": "Ann Peeters",
        "email": "ann@example.com",
        "mobile": "+32 475 12 34 56",
        "default_country": "BE",
        "time_zone": "Europe/Brussels",
        "language": "en",
        "sms_signature": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    "typed", ["+32 475 12 34 56", "0032 475 12 34 56", "32 475 123456", "+32 0475 12 34 56", "0475 12 34 56"]
)
def test_every_way_of_typing_saves_the_same_number_and_shows_it_back(logged_in, user, typed):
    response = logged_in.post(URL, form_data(mobile=typed), follow=True)
    user.refresh_from_db()
    assert user.mobile == "+32475123456"
    page = response.content.decode()
    assert "Your mobile number is +32 475 12 34 56" in page
    assert 'value="+32 475 12 34 56"' in page


def test_all_fields_are_saved(logged_in, user):
    logged_in.post(
        URL,
        form_data(
            full_name="Jan de Vries",
            time_zone="America/New_York",
            language="nl",
            default_country="NL",
            mobile="06 12345678",
            sms_signature="Jan",
        ),
    )
    user.refresh_from_db()
    assert (user.full_name, user.time_zone, user.language, user.default_country, user.sms_signature) == (
        "Jan de Vries",
        "America/New_York",
        "nl",
        "NL",
        "Jan",
    )
    assert user.mobile == "+31612345678"


def test_signature_defaults_to_the_name(user):
    user.full_name, user.sms_signature = "Ann Peeters", ""
    assert user.signature == "Ann Peeters"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mobile": "+32 2 555 12 12"}, "is not a mobile number"),
        ({"mobile": "+32 475"}, "too few digits for Belgium"),
        ({"mobile": "+32 475 12 34 56 78 9"}, "too many digits for Belgium"),
        ({"mobile": "call me"}, "is not a phone number"),
        ({"mobile": "0475 12 34 56", "default_country": ""}, "no default country"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"language": "xx"}, "Select a valid choice"),
        ({"full_name": "x" * 151}, "at most 150 characters"),
        ({"email": "ann@"}, "Enter a valid email address"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(logged_in, user, overrides, message):
    fields = ("full_name", "email", "mobile", "time_zone", "language", "default_country")
    before = {f: getattr(user, f) for f in fields}
    response = logged_in.post(URL, form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert {f: getattr(user, f) for f in before} == before


def test_what_was_typed_stays_in_the_field_after_an_error(logged_in):
    response = logged_in.post(URL, form_data(mobile="+32 475"))
    assert 'value="+32 475"' in response.content.decode()


def test_pages_follow_the_users_language_and_time_zone(logged_in, user):
    user.language = "fr"
    user.save()
    response = logged_in.get(URL)
    assert '<html lang="fr">' in response.content.decode()


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
