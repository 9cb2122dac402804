"""New mail on a real Dovecot gives alert SMS: once per mail, never for mail already there."""

from django.utils import timezone

from mailalerts.models import AlertLog, AlertStatus, Mailbox
from mailalerts.services.polling import mailbox_poll, mailboxes_claim_due
from messaging.models import Message
from tests.fakes.dovecot import simple_message
from tests.mailalerts.conftest import connect, poll


def alert_texts(user):
    return [m.text for m in Message.objects.filter(user=user).order_by("pk")]


def test_new_mail_gives_one_sms_and_mail_already_there_gives_none(owner, dovecot, imap_account):
    dovecot.append(imap_account[0], simple_message(subject="Old news"))
    mailbox = connect(owner, dovecot, imap_account)

    assert poll(mailbox) == "quiet"
    assert alert_texts(owner) == []

    dovecot.append(imap_account[0], simple_message(sender="Anna Smith <anna@example.org>", subject="Budget 2027"))
    assert poll(mailbox) == "new:1"
    assert alert_texts(owner) == ["Mail from Anna Smith: Budget 2027"]
    message = Message.objects.get(user=owner)
    assert list(message.recipients.values_list("to", flat=True)) == ["+32475123456"]
    assert message.segments == 1 and message.credits_held == 1  # charged like any SMS

    assert poll(mailbox) == "quiet"  # the same mail does not alert again
    assert len(alert_texts(owner)) == 1
    log = AlertLog.objects.get(user=owner)
    assert (log.status, log.sender, log.subject, log.to) == (
        AlertStatus.SENT,
        "Anna Smith",
        "Budget 2027",
        owner.mobile,
    )


def test_a_non_ascii_encoded_subject_and_sender_read_well_in_the_sms(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append(
        imap_account[0],
        simple_message(
            sender="=?UTF-8?B?w4lsb2RpZSBEdWZyw6puZQ==?= <elodie@example.fr>",
            subject="=?ISO-8859-1?Q?R=E9union_=E0_l'=E9cole?= =?UTF-8?Q?_=E2=82=AC?=",
        ),
    )
    poll(mailbox)
    assert alert_texts(owner) == ["Mail from Élodie Dufrêne: Réunion à l'école €"]


def test_a_long_subject_is_cut_at_a_word_to_fit_one_part(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    subject = "Please review " + " ".join(f"section{n}" for n in range(40))
    dovecot.append(imap_account[0], simple_message(subject=subject))
    poll(mailbox)
    text = alert_texts(owner)[0]
    assert text.startswith("Mail from Anna Smith: Please review section0 section1")
    assert text.endswith("...") and len(text) <= 160
    assert text[:-3].split()[-1].startswith("section") and text[:-3] in f"Mail from Anna Smith: {subject}"
    assert Message.objects.get(user=owner).segments == 1


def test_a_uidvalidity_change_rebaselines_without_a_flood(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    for n in range(3):
        dovecot.append(imap_account[0], simple_message(subject=f"Mail {n}"))
    poll(mailbox)
    assert len(alert_texts(owner)) == 3

    dovecot.reset_uidvalidity(imap_account[0])
    assert poll(mailbox) == "rebaselined"
    assert len(alert_texts(owner)) == 3  # the renumbered mail is not news
    assert AlertLog.objects.filter(reason__contains="renumbered").count() == 1

    dovecot.append(imap_account[0], simple_message(subject="After"))
    assert poll(mailbox) == "new:1"
    assert alert_texts(owner)[-1] == "Mail from Anna Smith: After"


def test_only_one_poller_holds_a_mailbox_at_a_time(owner, dovecot, imap_account):
    mailbox = connect(owner, dovecot, imap_account)
    Mailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=timezone.now())
    first = mailboxes_claim_due(now=timezone.now())
    assert [pk for pk, _token in first] == [mailbox.pk]
    assert mailboxes_claim_due(now=timezone.now()) == []  # leased: a second tick does not take it
    assert mailbox_poll(mailbox_id=mailbox.pk, token="not-the-lease") == "not-ours"

    dovecot.append(imap_account[0], simple_message(subject="Once"))
    assert mailbox_poll(mailbox_id=mailbox.pk, token=first[0][1]) == "new:1"
    assert mailbox_poll(mailbox_id=mailbox.pk, token=first[0][1]) == "not-ours"  # a repeated task does nothing
    assert len(alert_texts(owner)) == 1


def test_without_a_mobile_number_the_log_says_why(owner, dovecot, imap_account):
    owner.mobile = ""
    owner.save()
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append(imap_account[0], simple_message())
    poll(mailbox)
    assert alert_texts(owner) == []
    log = AlertLog.objects.get(user=owner)
    assert (log.status, log.reason) == (AlertStatus.SKIPPED, "no mobile number in your personal data")


def test_no_credit_is_logged_and_nothing_is_sent(owner, dovecot, imap_account):
    from credits.models import CreditAccount

    CreditAccount.objects.filter(user=owner).update(monthly_remaining=0)
    mailbox = connect(owner, dovecot, imap_account)
    dovecot.append(imap_account[0], simple_message())
    poll(mailbox)
    assert alert_texts(owner) == []
    log = AlertLog.objects.get(user=owner)
    assert log.status == AlertStatus.FAILED and "no credit left" in log.reason


def test_several_new_mails_give_one_sms_each_in_arrival_order(owner, dovecot, imap_account):
    count = 3
    mailbox = connect(owner, dovecot, imap_account)
    for n in range(count):
        dovecot.append(imap_account[0], simple_message(subject=f"Mail {n}"))
    assert poll(mailbox) == f"new:{count}"
    assert alert_texts(owner) == [f"Mail from Anna Smith: Mail {n}" for n in range(count)]
