"""The SMS composer, the message page and the Sent SMS history, through Django's client."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ContactList, ListMember
from credits.models import CreditAccount, Hold
from messaging.models import Message, MessageStatus
from messaging.services.accepting import message_send
from tests.factories import ContactFactory, ContactPhoneFactory

URL = reverse("sms_compose")


def form(**fields):
    data = {"body": "", "with_signature": "on", "idempotency_key": "k1", "action": "send"}
    data.update(fields)
    return data


@pytest.fixture
def client_(client, sender):
    client.force_login(sender)
    return client


def test_a_contacts_mobile_link_opens_the_composer_with_the_recipient(client_, bob):
    page = client_.get(URL, {"to": "+32486112233"}).content.decode()
    assert 'name="to" value="+32486112233"' in page
    assert "+32 486 11 22 33" in page and "Bob Janssens" in page


def test_add_a_typed_number_shows_it_normalised(client_):
    response = client_.post(URL, form(action="add", mobile="0475 12 34 56"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="to" value="+32475123456"' in page and "+32 475 12 34 56" in page
    again = client_.post(URL, form(action="add", mobile="0032475123456", to="+32475123456"))
    assert again.content.decode().count('name="to" value="+32475123456"') == 1  # merged


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("+32 2 555 12 12", "is not a mobile number"), ("12ab", "is not a phone number"), ("+32 475", "too few digits")],
)
def test_a_bad_number_is_flagged_at_once_and_not_added(client_, typed, reason):
    response = client_.post(URL, form(action="add", mobile=typed))
    assert response.status_code == 400
    page = response.content.decode()
    assert reason in page and 'id="mobile-error"' in page
    assert 'name="to"' not in page


def test_a_us_number_carries_the_warning(client_):
    page = client_.post(URL, form(action="add", mobile="+1 212 555 0100")).content.decode()
    assert "carriers there often refuse SMS" in page


def test_search_adds_contacts_and_lists_and_remove_takes_them_out(client_, sender, bob):
    team = ContactList.objects.create(owner=sender, name="Bobs team")
    page = client_.post(URL, form(action="search", q="bob")).content.decode()
    assert f'value="add_contact:{bob.pk}"' in page and f'value="add_list:{team.pk}"' in page
    page = client_.post(URL, form(action=f"add_contact:{bob.pk}")).content.decode()
    assert f'name="contact" value="{bob.pk}"' in page and "Bob Janssens" in page
    page = client_.post(URL, form(action=f"remove:contact={bob.pk}", contact=bob.pk)).content.decode()
    assert 'name="contact"' not in page


def test_the_counter_names_what_forces_ucs2_and_the_cost_by_bucket(client_):
    response = client_.post(reverse("sms_counter"), form(body="Hi 😀", to=["+32475123456", "+32475123457"]))
    page = response.content.decode()
    assert "UCS-2" in page and "<mark>😀</mark>" in page
    assert "2 credits" in page and "Paid by your monthly quota: 2; by provision: 0." in page
    plain = client_.post(reverse("sms_counter"), form(body="Hi", with_signature="")).content.decode()
    assert "GSM-7" in plain and "2 characters" in plain  # no signature counted


def test_the_counter_says_when_credit_is_short(client_):
    numbers = [f"+3247512{n:04d}" for n in range(31)]
    page = client_.post(reverse("sms_counter"), form(body="Hi", to=numbers)).content.decode()
    assert "This send needs 31 credits and you have 30." in page and reverse("credit") in page


def test_typographic_quotes_are_replaced_in_one_click(client_):
    page = client_.post(URL, form(action="fix_quotes", body="Don’t “quote” – ok")).content.decode()
    assert "Don&#x27;t &quot;quote&quot; - ok" in page
    assert "GSM-7" in page


def test_send_now_goes_to_the_message_page(client_, sender):
    response = client_.post(URL, form(body="Meeting at 10", to="+32475123456"))
    message = Message.objects.get(user=sender)
    assert response.url == reverse("sms_detail", args=[message.pk])
    assert message.text == "Meeting at 10\nAnn"


def test_a_double_click_on_send_sends_once(client_, sender):
    client_.post(URL, form(body="Once", to="+32475123456", idempotency_key="same"))
    second = client_.post(URL, form(body="Once", to="+32475123456", idempotency_key="same"))
    assert Message.objects.filter(user=sender).count() == 1
    assert second.url == reverse("sms_detail", args=[Message.objects.get().pk])


@pytest.mark.parametrize(
    ("fields", "message", "field_marker"),
    [
        ({"body": "", "to": "+32475123456"}, "Write a message.", 'id="body-error"'),
        ({"body": "x" * 1600, "to": "+32475123456"}, "at most 10 are allowed", 'id="body-error"'),
        ({"body": "hi"}, "Add at least one recipient.", 'class="errorlist" role="alert"'),
        ({"body": "hi", "to": "+32 2 555 12 12"}, "is not a mobile number", 'class="errorlist" role="alert"'),
        ({"body": "hi", "contact": "999999"}, "No such contact.", 'class="errorlist" role="alert"'),
        (
            {"body": "hi", "to": "+32475123456", "send_later": "on", "send_at": "2020-01-01T10:00"},
            "in the past",
            'id="send-at-error"',
        ),
        (
            {"body": "hi", "to": "+32475123456", "send_later": "on", "send_at": "soon"},
            "Give a date and time",
            'id="send-at-error"',
        ),
    ],
)
def test_each_error_is_shown_next_to_its_field_and_nothing_is_written(client_, fields, message, field_marker):
    response = client_.post(URL, form(**fields))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and field_marker in page
    assert not Message.objects.exists() and not Hold.objects.exists()


def test_another_users_contact_id_is_refused(client_):
    response = client_.post(URL, form(body="hi", contact=ContactFactory().pk))
    assert response.status_code == 400 and "No such contact." in response.content.decode()
    assert not Message.objects.exists()


def test_short_credit_on_send_says_what_is_needed_and_links_to_credit(client_):
    numbers = [f"+3247512{n:04d}" for n in range(31)]
    response = client_.post(URL, form(body="hi", to=numbers))
    assert response.status_code == 402
    page = response.content.decode()
    assert "This needs 31 credits and 30 are available." in page and 'data-testid="credit-error"' in page
    assert not Message.objects.exists()


def test_send_later_in_the_users_time_zone_then_cancel(client_, sender):
    local = (timezone.now() + dt.timedelta(days=1)).astimezone(zoneinfo.ZoneInfo("Europe/Brussels"))
    when = local.strftime("%Y-%m-%dT%H:%M")
    client_.post(URL, form(body="later", to="+32475123456", send_later="on", send_at=when))
    message = Message.objects.get()
    assert message.status == MessageStatus.SCHEDULED
    assert message.send_at.astimezone(zoneinfo.ZoneInfo("Europe/Brussels")).strftime("%Y-%m-%dT%H:%M") == when
    page = client_.get(reverse("sms_detail", args=[message.pk])).content.decode()
    assert "Cancel this scheduled SMS" in page
    client_.post(reverse("sms_cancel", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELED
    account = CreditAccount.objects.get(user=sender)
    assert (account.monthly_remaining, account.monthly_held) == (20, 0)


def test_the_message_page_shows_states_progress_and_credit(client_, sender, locmem_gateway, run_on_commit):
    from messaging.gateways.base import Outcome, SendResult

    locmem_gateway.script = lambda sms: (
        SendResult(Outcome.FAILED, reason="blocked by the operator")
        if sms.to.endswith("7")
        else SendResult(Outcome.ACCEPTED)
    )
    message = run_on_commit(message_send, user=sender, body="hi", to=["+32475123456", "+32475123457"])
    page = client_.get(reverse("sms_detail", args=[message.pk])).content.decode()
    assert '<progress value="2" max="2"' in page
    assert "Credit: 1 used, 1 given back, 0 still held." in page
    assert "blocked by the operator" in page
    assert 'hx-trigger="every 2s"' not in page  # all answered
    assert 'hx-trigger="every 5s"' in page  # delivery reports may still come


def test_the_message_page_refreshes_itself_while_sending(client_, sender):
    message = message_send(user=sender, body="hi", to=["+32475123456"])  # not dispatched yet
    page = client_.get(reverse("sms_detail", args=[message.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "0 of 1 accepted by the SMS centre" in page


def test_history_is_searchable_and_filterable(client_, sender, bob, run_on_commit):
    run_on_commit(message_send, user=sender, body="Lunch on Friday", contact_ids=[bob.pk])
    run_on_commit(message_send, user=sender, body="Board meeting", to=["+33612345678"])
    old = message_send(user=sender, body="Old news", to=["+32475123456"])
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))

    def bodies(**params):
        response = client_.get(reverse("sms_history"), params)
        return {m.body for m in response.context["page"].object_list}

    assert bodies() == {"Lunch on Friday", "Board meeting", "Old news"}
    assert bodies(q="janssens") == {"Lunch on Friday"}  # contact name
    assert bodies(q="0033 6 12") == {"Board meeting"}  # number, typed any way
    assert bodies(q="board") == {"Board meeting"}  # text
    assert bodies(state="sending") == {"Old news"}  # not dispatched yet
    assert bodies(since=(timezone.localdate() - dt.timedelta(days=7)).isoformat()) == {
        "Lunch on Friday",
        "Board meeting",
    }
    assert client_.get(reverse("sms_history"), {"since": "not a date", "page": "x"}).status_code == 200


def test_nobody_sees_another_users_history(client, sender, run_on_commit):
    run_on_commit(message_send, user=sender, body="Private", to=["+32475123456"])
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert "Private" not in client.get(reverse("sms_history")).content.decode()


def test_a_list_with_members_is_one_entry_with_its_count(client_, sender, bob):
    team = ContactList.objects.create(owner=sender, name="Team")
    ListMember.objects.create(contact_list=team, contact=bob)
    ListMember.objects.create(contact_list=team, phone="+33612345678")
    page = client_.post(URL, form(action=f"add_list:{team.pk}", body="hi")).content.decode()
    assert "List: Team" in page and "2 members" in page and "2 recipients" in page


# Issue 17: send later is safe (item 4), the counter past 10 parts (item 5), the help page's steps (item 6).


def test_a_date_without_send_later_is_refused_not_sent_at_once(client_, sender):
    when = (timezone.now() + dt.timedelta(days=1)).astimezone(zoneinfo.ZoneInfo("Europe/Brussels"))
    response = client_.post(URL, form(body="later?", to="+32475123456", send_at=when.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Send later" in page and 'id="send-at-error"' in page and "switch" in page
    assert not Message.objects.exists()
    assert 'src="/static/js/composer.js"' in page  # picking a date turns the switch on


@pytest.mark.parametrize(
    ("body", "parts"),
    [("a" * 1600, 11), ("€" * 1600, 22)],
    ids=["gsm-1600", "euro-1600"],
)
def test_the_counter_shows_the_real_parts_past_the_limit_and_says_it_is_over(client_, body, parts):
    counter = client_.post(reverse("sms_counter"), form(body=body, with_signature="", to="+32475123456"))
    page = counter.content.decode()
    assert f"{parts} parts" in page
    assert 'data-testid="over-limit"' in page and "at most 10" in page
    sent = client_.post(URL, form(body=body, with_signature="", to="+32475123456")).content.decode()
    assert f"The text takes {parts} parts" in sent


def test_the_counter_says_why_euro_and_emoji_count_double(client_):
    euro = client_.post(reverse("sms_counter"), form(body="5 €", with_signature="")).content.decode()
    assert 'data-testid="double"' in euro and "€" in euro and "two" in euro
    emoji = client_.post(reverse("sms_counter"), form(body="Hi 😀", with_signature="")).content.decode()
    assert 'data-testid="double"' in emoji and "emoji" in emoji.lower()
    plain = client_.post(reverse("sms_counter"), form(body="Hi", with_signature="")).content.decode()
    assert 'data-testid="double"' not in plain and 'data-testid="over-limit"' not in plain


def test_search_with_an_empty_box_lists_contacts_with_a_mobile_by_book_and_lists_to_tick(client_, sender, bob):
    from accounts.services import PhoneEntry, address_books_ensure, contact_save

    book = address_books_ensure(user=sender)[0]
    desk = contact_save(
        book=book, name="Desk Only", phone_entries=[PhoneEntry(label="work", raw="+32 2 555 13 13", e164="+3225551313")]
    )
    team = ContactList.objects.create(owner=sender, name="Team")
    page = client_.post(URL, form(action="search", q="")).content.decode()
    assert f'name="pick_contact" value="{bob.pk}"' in page and f'name="pick_list" value="{team.pk}"' in page
    assert f'value="{desk.pk}"' not in page  # no mobile: nothing to send to
    assert f'data-testid="book-{book.pk}"' in page
    page = client_.post(
        URL, form(action="add_ticked", pick_contact=[bob.pk], pick_list=[team.pk], q="")
    ).content.decode()
    assert f'name="contact" value="{bob.pk}"' in page and f'name="list" value="{team.pk}"' in page


def test_a_large_book_is_paged_in_the_picker(client_, sender):
    from accounts.services import address_books_ensure

    book = address_books_ensure(user=sender)[0]
    for n in range(45):
        ContactPhoneFactory(contact=ContactFactory(book=book, name=f"Person {n:02d}"), e164=f"+324751{n:05d}")
    first = client_.post(URL, form(action="search", q="")).content.decode()
    assert first.count('name="pick_contact"') == 20 and 'value="search_page:2"' in first
    third = client_.post(URL, form(action="search_page:3", q="")).content.decode()
    assert third.count('name="pick_contact"') == 5 and "Person 44" in third


def test_mobile_numbers_in_the_contacts_list_link_to_the_composer(client_, sender, bob):
    page = client_.get(reverse("contact_index")).content.decode()
    assert f'href="{URL}?to=%2B32486112233"' in page
