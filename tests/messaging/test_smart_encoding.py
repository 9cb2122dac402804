"""The GSM-friendly rewrite: property-tested against the gsm0338 codec, and its offer in the composer and API."""

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec
import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from messaging.segments import GSM_BASIC, GSM_EXTENSION, count
from messaging.smart_encoding import TABLE, gsm_friendly, only_lookalikes_force_ucs2

GSM_CHARS = "".join(sorted(GSM_BASIC | GSM_EXTENSION))
LOOKALIKES = "".join(sorted(TABLE))
MEANINGFUL = "êłçÇœ😀中ЖΩ"  # letters with meaning and emoji (Ω is GSM; the others force UCS-2)


def gsm_encodable(text: str) -> bool:
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


@given(text=st.text(alphabet=st.sampled_from(GSM_CHARS + LOOKALIKES), max_size=400))
def test_a_text_made_ucs2_only_by_lookalikes_becomes_gsm7(text):
    rewritten = gsm_friendly(text)
    assert gsm_encodable(rewritten)
    assert count(rewritten).encoding == "GSM-7"
    if count(text).encoding == "UCS-2":
        assert only_lookalikes_force_ucs2(text)


@given(text=st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=400))
def test_a_gsm7_text_is_never_changed(text):
    assert gsm_friendly(text) == text


@given(text=st.text(alphabet=st.sampled_from(GSM_CHARS + LOOKALIKES + MEANINGFUL), max_size=300))
def test_letters_with_meaning_and_emoji_are_never_replaced(text):
    rewritten = gsm_friendly(text)
    for char in MEANINGFUL:
        assert rewritten.count(char) == text.count(char)
    if any(char in text for char in "êłœ😀中Ж"):
        assert not only_lookalikes_force_ucs2(text)


@given(text=st.text(max_size=200))
def test_any_text_keeps_everything_outside_the_table(text):
    rewritten = gsm_friendly(text)
    assert [c for c in rewritten if c not in TABLE.values() and c not in "./-"] == [
        c for c in text if c not in TABLE and c not in TABLE.values() and c not in "./-"
    ]


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


def test_the_counter_offers_the_rewrite_with_the_parts_it_saves(client_):
    body = "Don’t forget — the meeting… “tomorrow” at 10\u00a0am • bring slides " * 3
    page = client_.post(
        reverse("sms_counter"), {"body": body, "to": "+32475123456", "with_signature": ""}
    ).content.decode()
    assert 'value="fix_quotes"' in page
    assert "3 parts" in page and "2 parts instead of 3" in page
    # One click replaces them all: the page comes back GSM-7.
    page = client_.post(
        reverse("sms_compose"), {"body": body, "to": "+32475123456", "action": "fix_quotes", "idempotency_key": "k"}
    ).content.decode()
    assert "GSM-7" in page and "Don&#x27;t forget - the meeting... &quot;tomorrow&quot; at 10 am - bring" in page


def test_no_offer_when_a_letter_with_meaning_forces_ucs2(client_):
    page = client_.post(
        reverse("sms_counter"), {"body": "Fête “ce soir”", "to": "+32475123456", "with_signature": ""}
    ).content.decode()
    assert "UCS-2" in page and 'value="fix_quotes"' not in page


def test_the_api_takes_smart_encoding(sender, client, run_on_commit, locmem_gateway):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=sender)
    body = {"to": ["+32475123456"], "body": "It’s “fine” — really…", "signature": False, "smart_encoding": True}
    response = run_on_commit(
        client.post, reverse("api_messages"), body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 202, response.content
    assert response.json()["encoding"] == "GSM-7"
    assert [sms.text for sms in locmem_gateway.outbox] == ['It\'s "fine" - really...']
    plain = client.post(
        reverse("api_messages"),
        {**body, "smart_encoding": False},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert plain.json()["encoding"] == "UCS-2"
