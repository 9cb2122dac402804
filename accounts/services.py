"""Every write to users, address books, contacts and Lists goes through here."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from . import phones
from .contact_files import ContactFileError, read_contacts_file
from .models import (
    AddressBook,
    Contact,
    ContactEmail,
    ContactList,
    ContactPhone,
    Invitation,
    InvitationStatus,
    ListMember,
    Membership,
    Organisation,
    Role,
    SharedDataMove,
    User,
)
from .selectors import is_group_administrator
from .vcard import CardData

MAX_NAME = Contact._meta.get_field("name").max_length
MAX_EMAIL = ContactEmail._meta.get_field("address").max_length
# Rows a multi-row INSERT of an import carries: large enough to need few round trips,
# small enough to keep each statement's parameters well under PostgreSQL's 65,535.
IMPORT_BATCH = 1000


@dataclass(frozen=True)
class PhoneEntry:
    """A contact number ready to store: `e164` is empty when it could not be read."""

    label: str
    raw: str
    e164: str = ""


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, why): cards not imported
    # (line, what): values of imported cards that were left out or kept as written.
    notes: list[tuple[int, str]] = field(default_factory=list)


def user_create(*, username: str, password: str | None, email: str = "", full_name: str = "", **extra) -> User:
    """Create a user with their private address book."""
    with transaction.atomic():
        user = User(username=username, email=email, full_name=full_name, **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.full_clean()
        user.save()
        address_books_ensure(user=user)
    return user


def user_update_personal_data(
    *,
    user: User,
    full_name: str,
    email: str,
    mobile: str,
    time_zone: str,
    language: str,
    default_country: str,
    sms_signature: str,
) -> User:
    """Save personal data already checked by PersonalDataForm; `mobile` is E.164 or empty."""
    user.full_name = full_name
    user.email = email
    user.mobile = mobile
    user.time_zone = time_zone
    user.language = language
    user.default_country = default_country
    user.sms_signature = sms_signature
    user.full_clean()
    user.save(
        update_fields=["full_name", "email", "mobile", "time_zone", "language", "default_country", "sms_signature"]
    )
    return user


def group_join(*, user: User, name: str) -> Group:
    """Add `user` to the group named `name` (created when missing), with the group's book."""
    group, _created = Group.objects.get_or_create(name=name)
    user.groups.add(group)
    address_books_ensure(user=user)
    return group


def address_books_ensure(*, user: User) -> list[AddressBook]:
    """The user's private book and one shared book per group, created when missing.

    Idempotent and safe under concurrency: the unique constraints make a second
    creator fail, and get_or_create then reads the winner's row.
    """
    books = [_book_get_or_create(owner=user, name=_("Private contacts"))]
    for group in user.groups.order_by("name"):
        books.append(_book_get_or_create(group=group, name=group.name))
    return books


def _book_get_or_create(*, name: str, owner: User | None = None, group: Group | None = None) -> AddressBook:
    book, _created = AddressBook.objects.get_or_create(owner=owner, group=group, defaults={"name": name})
    return book


def phone_entry(*, raw: str, label: str, default_region: str | None, keep_unreadable: bool) -> PhoneEntry:
    """Normalise a contact number. Raises PhoneNumberError for a number that is wrong.

    With `keep_unreadable`, a national number that cannot be read for lack of a
    default country is kept as written (it shows, but is not SMS-able) instead of
    failing: an imported address book should not lose numbers for that.
    """
    try:
        parsed = phones.parse_number(raw, default_region=default_region)
    except phones.PhoneNumberError:
        if keep_unreadable and not default_region and raw.strip().startswith("0"):
            return PhoneEntry(label=label, raw=raw.strip()[:40])
        raise
    return PhoneEntry(label=label, raw=raw.strip()[:40], e164=parsed.e164)


def contact_save(
    *,
    book: AddressBook,
    name: str,
    organisation: str = "",
    notes: str = "",
    emails: list[str] | tuple[str, ...] = (),
    phone_entries: list[PhoneEntry] | tuple[PhoneEntry, ...] = (),
    contact: Contact | None = None,
    actor: User | None = None,
) -> Contact:
    """Create a contact in `book`, or replace `contact`'s data (and move it to `book`).

    `actor` is who does it: recorded as the creator of a new contact. Moving a contact
    out of a group book takes it from the other members, so it is for its creator or
    a group administrator (SharedDataMoveRefused otherwise, nothing changed) and is
    recorded as a SharedDataMove.
    """
    with transaction.atomic():
        if contact is None:
            contact = Contact(created_by=actor)
        else:
            # The stored book, locked: not what the caller's instance may say.
            stored_book_id = Contact.objects.select_for_update().values_list("book_id", flat=True).get(pk=contact.pk)
            stored_book = AddressBook.objects.select_related("group").get(pk=stored_book_id)
            if stored_book.group_id is not None and stored_book.pk != book.pk:
                _check_may_move_out_of_group(
                    actor=actor, group=stored_book.group, created_by_id=contact.created_by_id, name=contact.name
                )
                _shared_data_move_record(
                    kind=SharedDataMove.Kind.CONTACT,
                    object_id=contact.pk,
                    object_name=name,
                    actor=actor,
                    group=stored_book.group,
                    destination=_move_destination(group=book.group, owner=book.owner),
                )
        contact.book = book
        contact.name = name
        contact.organisation = organisation
        contact.notes = notes
        contact.search_text = contact_search_text(
            name=name, organisation=organisation, emails=emails, phone_entries=phone_entries
        )
        contact.full_clean()
        contact.save()
        # Numbers and emails are edited as one list: replacing them keeps the order
        # the user sees and avoids matching rows up by position.
        contact.phones.all().delete()
        contact.emails.all().delete()
        ContactPhone.objects.bulk_create(
            ContactPhone(contact=contact, label=entry.label, raw=entry.raw, e164=entry.e164) for entry in phone_entries
        )
        ContactEmail.objects.bulk_create(ContactEmail(contact=contact, address=address) for address in emails)
    return contact


def contact_search_text(
    *, name: str, organisation: str, emails: Iterable[str], phone_entries: Iterable[PhoneEntry]
) -> str:
    """What contacts_search matches against: see selectors.contacts_search."""
    numbers = [re.sub(r"\D", "", entry.e164 or entry.raw) for entry in phone_entries]
    return "\n".join([name, organisation, *emails, *numbers]).lower()


def contact_delete(*, contact: Contact) -> None:
    contact.delete()


def contacts_import(
    *, book: AddressBook, filename: str, text: str, default_region: str | None, actor: User | None = None
) -> ImportReport:
    """Import a vCard or CSV file into `book`: good rows are saved, bad ones reported by line.

    Raises ContactFileError when the file as a whole cannot be read (nothing saved).
    The good rows are saved in one transaction: all of them or, on a crash, none.
    """
    report = ImportReport()
    ready: list[tuple[CardData, list[PhoneEntry]]] = []
    cards = read_contacts_file(filename=filename, text=text, max_rows=settings.CONTACT_IMPORT_MAX_ROWS)
    for card in cards:
        problem, entries, notes = _check_card(card, default_region)
        if problem:
            report.errors.append((card.line, problem))
        else:
            ready.append((card, entries))
            report.notes += notes
    with transaction.atomic():
        _check_book_limit(book=book, adding=len(ready))
        _contacts_bulk_create(book=book, ready=ready, actor=actor)
    report.imported = len(ready)
    return report


def book_contact_limit(*, book: AddressBook) -> int:
    """Most contacts `book` may hold: a user's private book, or a group's shared book."""
    return settings.CONTACTS_MAX_PER_USER if book.owner_id else settings.CONTACTS_MAX_PER_GROUP_BOOK


def _check_book_limit(*, book: AddressBook, adding: int) -> None:
    """Raise ContactFileError when `adding` contacts would take `book` past its limit.

    The book row is locked first, so two imports at once cannot both pass the count.
    """
    # order_by(): the default ordering joins the group, which FOR UPDATE cannot lock.
    list(AddressBook.objects.select_for_update().filter(pk=book.pk).order_by().values_list("pk"))
    total = Contact.objects.filter(book=book).count() + adding
    limit = book_contact_limit(book=book)
    if total <= limit:
        return
    values = {
        "total": number_format(total, force_grouping=True),
        "limit": number_format(limit, force_grouping=True),
        "book": book.name,
    }
    if book.owner_id:
        message = _("This import would bring your address book to %(total)s contacts; the limit is %(limit)s.")
    else:
        message = _(
            "This import would bring the address book “%(book)s” to %(total)s contacts; the limit is %(limit)s."
        )
    raise ContactFileError(message % values + " " + _("Delete contacts you no longer need, or import fewer."))


def _contacts_bulk_create(
    *, book: AddressBook, ready: list[tuple[CardData, list[PhoneEntry]]], actor: User | None
) -> None:
    """Write checked cards in a few multi-row INSERTs.

    contact_save per card cost ~9 queries a contact (460 contacts a second measured):
    a large file held a web worker for minutes. _check_card has already checked what
    full_clean would (name, lengths, emails, numbers), and the search text is computed
    by the same function contact_save uses.
    """
    contacts = []
    for card, entries in ready:
        name, organisation, notes = card.name.strip(), card.organisation.strip()[:200], card.notes[:5000]
        search_text = contact_search_text(
            name=name, organisation=organisation, emails=card.emails, phone_entries=entries
        )
        contacts.append(
            Contact(
                book=book, name=name, organisation=organisation, notes=notes, search_text=search_text, created_by=actor
            )
        )
    # PostgreSQL returns the new ids, which the numbers and addresses need.
    Contact.objects.bulk_create(contacts, batch_size=IMPORT_BATCH)
    ContactPhone.objects.bulk_create(
        (
            ContactPhone(contact=contact, label=entry.label, raw=entry.raw, e164=entry.e164)
            for contact, (_card, entries) in zip(contacts, ready, strict=True)
            for entry in entries
        ),
        batch_size=IMPORT_BATCH,
    )
    ContactEmail.objects.bulk_create(
        (
            ContactEmail(contact=contact, address=address)
            for contact, (card, _entries) in zip(contacts, ready, strict=True)
            for address in card.emails
        ),
        batch_size=IMPORT_BATCH,
    )


def _check_card(card: CardData, default_region: str | None) -> tuple[str, list[PhoneEntry], list[tuple[int, str]]]:
    """Why a card cannot be imported ("" when it can), its numbers normalised, and notes.

    One unreadable value does not cost the card: a wrong email is left out, a number
    that cannot be read is kept as written (shown, not SMS-able), each named in a note
    with its line. A card is refused only when it has no name and no number or email
    to name it by (ORG counts as a name), or when it cannot be read at all.
    """
    if card.problem:
        return card.problem, [], []
    notes = list(card.skipped)
    emails = []
    lines = card.email_lines or [card.line] * len(card.emails)
    for address, line in zip(card.emails, lines, strict=False):
        # "Omega" <omega@example.com>: the address in it.
        address = parseaddr(address)[1] or address
        try:
            validate_email(address)
            if len(address) > MAX_EMAIL:
                raise ValidationError("too long")
        except ValidationError:
            notes.append((line, _("“%(address)s” is not an email address: left out") % {"address": address[:80]}))
        else:
            emails.append(address)
    card.emails = emails
    entries = []
    lines = card.phone_lines or [card.line] * len(card.phones)
    for (label, raw), line in zip(card.phones, lines, strict=False):
        if not raw.strip():
            continue
        # A tel: URI's extension (";ext=102", read as " ext. 102") is not part of the number SMS goes to.
        number = raw.partition(" ext. ")[0]
        try:
            entry = phone_entry(raw=number, label=label, default_region=default_region, keep_unreadable=True)
            entries.append(PhoneEntry(label=entry.label, raw=raw.strip()[:40], e164=entry.e164))
        except phones.PhoneNumberError as error:
            entries.append(PhoneEntry(label=label, raw=raw.strip()[:40]))
            notes.append(
                (line, _("%(reason)s Kept as written; it cannot receive SMS.") % {"reason": str(error).rstrip()})
            )
    card.name = card.name.strip() or card.organisation.strip() or next(iter(emails), "")
    card.name = card.name or next((entry.raw for entry in entries), "")
    if not card.name:
        return _("no name, number or email"), [], []
    if len(card.name) > MAX_NAME:
        return _("the name is longer than %(max)s characters") % {"max": MAX_NAME}, [], []
    return "", entries, notes


def contact_list_save(
    *,
    name: str,
    owner: User | None = None,
    group: Group | None = None,
    contact_list: ContactList | None = None,
    actor: User | None = None,
) -> ContactList:
    """Create a List private to `owner` or shared with `group`, or rename/reshare `contact_list`.

    `actor` is who does it: recorded as the creator of a new List. Making a group's List
    private or sharing it with another group takes it from the group's members: only its
    creator or a group administrator may (SharedDataMoveRefused otherwise, nothing
    changed), and the move is recorded as a SharedDataMove.
    """
    with transaction.atomic():
        if contact_list is None:
            contact_list = ContactList(created_by=actor)
        else:
            stored_group_id = (
                ContactList.objects.select_for_update().values_list("group_id", flat=True).get(pk=contact_list.pk)
            )
            if stored_group_id is not None and stored_group_id != (group.pk if group else None):
                stored_group = Group.objects.get(pk=stored_group_id)
                _check_may_move_out_of_group(
                    actor=actor, group=stored_group, created_by_id=contact_list.created_by_id, name=contact_list.name
                )
                _shared_data_move_record(
                    kind=SharedDataMove.Kind.LIST,
                    object_id=contact_list.pk,
                    object_name=name,
                    actor=actor,
                    group=stored_group,
                    destination=_move_destination(group=group, owner=owner),
                )
        contact_list.name = name
        contact_list.owner = owner if group is None else None
        contact_list.group = group
        contact_list.full_clean()
        contact_list.save()
    return contact_list


class SharedDataMoveRefused(ValueError):
    """Only the creator or a group administrator moves shared data out of its group; `str` says so."""


def _check_may_move_out_of_group(*, actor: User | None, group: Group, created_by_id: int | None, name: str) -> None:
    if actor is not None and (actor.pk == created_by_id or is_group_administrator(user=actor, group=group)):
        return
    raise SharedDataMoveRefused(
        _(
            "Only the person who created “%(name)s” or an administrator of %(group)s can move it out of the group: "
            "the other members would lose it. Keep it in %(group)s, or ask an administrator."
        )
        % {"name": name, "group": group.name}
    )


def _move_destination(*, group: Group | None, owner: User | None) -> str:
    # Not translated: a log line for administrators, the same whatever the mover's language.
    return group.name if group else f"private: {owner.get_username() if owner else '?'}"


def _shared_data_move_record(
    *, kind: str, object_id: int, object_name: str, actor: User | None, group: Group, destination: str
) -> SharedDataMove:
    return SharedDataMove.objects.create(
        kind=kind,
        object_id=object_id,
        object_name=object_name[:200],
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        from_group=group,
        from_group_name=group.name,
        destination=destination[:200],
    )


def contact_list_delete(*, contact_list: ContactList) -> None:
    contact_list.delete()


class ListMemberError(ValueError):
    """The entry cannot join the List; `str(error)` says why."""


def list_member_add_contact(*, contact_list: ContactList, contact: Contact) -> ListMember:
    return _list_member_create(contact_list, ListMember(contact_list=contact_list, contact=contact))


def list_member_add_address(*, contact_list: ContactList, entry: str, default_region: str | None) -> ListMember:
    """Add a free number or email address (whichever `entry` is) to the List.

    Raises ListMemberError (or PhoneNumberError) with a message for the user.
    """
    entry = entry.strip()
    if "@" in entry:
        try:
            validate_email(entry)
        except ValidationError:
            raise ListMemberError(_("“%(entry)s” is not an email address.") % {"entry": entry}) from None
        member = ListMember(contact_list=contact_list, email=entry)
    else:
        parsed = phones.parse_number(entry, default_region=default_region)
        member = ListMember(contact_list=contact_list, phone=parsed.e164)
    return _list_member_create(contact_list, member)


def _list_member_create(contact_list: ContactList, member: ListMember) -> ListMember:
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise ListMemberError(_("%(member)s is already in this List.") % {"member": member}) from None
    return member


def list_member_remove(*, member: ListMember) -> None:
    member.delete()


def api_token_regenerate(*, user: User) -> str:
    """Replace the user's API token (the old one stops working at once); return the new key."""
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user).key


# Organisations ------------------------------------------------------------------------
#
# Role changes and removals lock the organisation row, so two admins demoting the last
# two owners at once cannot both succeed: the second sees the first's commit.

INVITATION_MAX_AGE = 7 * 24 * 3600  # seconds: an invitation link is valid 7 days
_INVITATION_SALT = "accounts.invitation"


class OrganisationError(ValueError):
    """A refused change to an organisation; `str(error)` is the message for the user."""


def organisation_create(*, name: str, owner: User) -> Organisation:
    """A new organisation with `owner` as its first owner and a group for its shared book and Lists."""
    name = (name or "").strip()
    if not name or len(name) > Organisation._meta.get_field("name").max_length:
        raise OrganisationError(_("Give the organisation a name of 1 to 100 characters."))
    with transaction.atomic():
        if Organisation.objects.filter(name__iexact=name).exists() or Group.objects.filter(name=name).exists():
            raise OrganisationError(_("The name %(name)s is taken: choose another.") % {"name": name})
        organisation = Organisation.objects.create(name=name, group=Group.objects.create(name=name))
        _member_join(organisation=organisation, user=owner, role=Role.OWNER)
    return organisation


def membership_add(*, organisation: Organisation, user: User, role: str = Role.MEMBER) -> Membership:
    """Add `user` to `organisation`. A user is in one organisation at most: refused otherwise."""
    if role not in Role.values:
        raise OrganisationError(_("Choose a role: owner, admin or member."))
    with transaction.atomic():
        return _member_join(organisation=organisation, user=user, role=role)


def _member_join(*, organisation: Organisation, user: User, role: str) -> Membership:
    existing = Membership.objects.filter(user=user).select_related("organisation").first()
    if existing is not None:
        raise OrganisationError(
            _("%(user)s is already a member of %(organisation)s.")
            % {"user": user.get_full_name(), "organisation": existing.organisation.name}
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(organisation=organisation, user=user, role=role)
    except IntegrityError as error:  # a concurrent join of the same user won
        raise OrganisationError(
            _("%(user)s is already in an organisation.") % {"user": user.get_full_name()}
        ) from error
    # The group carries the shared address book and Lists (visible_scope).
    user.groups.add(organisation.group)
    address_books_ensure(user=user)
    return membership


def membership_role_set(*, membership: Membership, role: str) -> Membership:
    """Change a member's role; the organisation always keeps at least one owner."""
    if role not in Role.values:
        raise OrganisationError(_("Choose a role: owner, admin or member."))
    with transaction.atomic():
        membership = _membership_locked(membership)
        if membership.role == Role.OWNER and role != Role.OWNER:
            _check_another_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_limit_set(*, organisation: Organisation, user: User, limit: int | None) -> Membership:
    """Set (or, None, lift) the monthly limit of a member of `organisation`, in credits a period."""
    if limit is not None and (
        not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= settings.CREDIT_MAX_GRANT
    ):
        raise OrganisationError(
            _("Give a limit between 0 and %(max)s credits a month, or none.") % {"max": settings.CREDIT_MAX_GRANT}
        )
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None:
        raise OrganisationError(
            _("%(user)s is not a member of %(organisation)s: a limit is set on members only.")
            % {"user": user.get_full_name(), "organisation": organisation.name}
        )
    membership.monthly_limit = limit
    membership.save(update_fields=["monthly_limit"])
    return membership


def membership_update(*, membership: Membership, role: str, limit: int | None) -> Membership:
    """Role and monthly limit at once: all or nothing (a refused limit keeps the old role)."""
    with transaction.atomic():
        membership = membership_role_set(membership=membership, role=role)
        return membership_limit_set(organisation=membership.organisation, user=membership.user, limit=limit)


def membership_remove(*, membership: Membership) -> None:
    """Remove a member: at once out of the group (shared book and Lists), paying personally again.

    Holds the member made stay on the pool and settle there. The last owner cannot be removed.
    """
    with transaction.atomic():
        membership = _membership_locked(membership)
        if membership.role == Role.OWNER:
            _check_another_owner(membership)
        membership.user.groups.remove(membership.organisation.group)
        membership.delete()


def _membership_locked(membership: Membership) -> Membership:
    Organisation.objects.select_for_update().filter(pk=membership.organisation_id).first()
    fresh = Membership.objects.select_related("organisation__group", "user").filter(pk=membership.pk).first()
    if fresh is None:
        raise OrganisationError(_("This person is no longer a member."))
    return fresh


def _check_another_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise OrganisationError(_("An organisation keeps at least one owner: make someone else owner first."))


def invitation_create(*, organisation: Organisation, email: str, role: str, invited_by: User | None) -> Invitation:
    """Invite `email` to join; refused (with the reason) for a malformed address or a member's."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise OrganisationError(
            _("%(email)s is not an email address: write it as name@example.org.") % {"email": email[:100]}
        ) from error
    if role not in Role.values:
        raise OrganisationError(_("Choose a role: owner, admin or member."))
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise OrganisationError(_("%(email)s is already a member.") % {"email": email})
    return Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=invited_by)


def invitation_email_send(*, invitation: Invitation, link: str) -> None:
    """The invitation's email, with its link (sent after commit: no email for a rolled-back invitation)."""
    subject = _("Join %(organisation)s on SMS Office") % {"organisation": invitation.organisation.name}
    body = _(
        "Hello,\n\nYou are invited to join %(organisation)s on SMS Office and send SMS from its shared "
        "credit. Open this link within 7 days to accept (log in, or make an account):\n\n%(link)s\n"
    ) % {"organisation": invitation.organisation.name, "link": link}
    email = invitation.email
    transaction.on_commit(lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[email]))


def invitation_token(*, invitation: Invitation) -> str:
    """The signed part of the invitation link; valid INVITATION_MAX_AGE."""
    return signing.TimestampSigner(salt=_INVITATION_SALT).sign(str(invitation.pk))


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.status == InvitationStatus.PENDING:
        invitation.status = InvitationStatus.REVOKED
        invitation.save(update_fields=["status"])
    return invitation


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a link names; refused (with the reason) when tampered, expired or used."""
    try:
        pk = signing.TimestampSigner(salt=_INVITATION_SALT).unsign(token, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise OrganisationError(_("This invitation has expired: ask for a new one.")) from error
    except signing.BadSignature as error:
        raise OrganisationError(_("This invitation link is not valid: copy the whole link from the email.")) from error
    invitation = Invitation.objects.select_related("organisation").filter(pk=pk).first()
    if invitation is None or invitation.status == InvitationStatus.REVOKED:
        raise OrganisationError(_("This invitation was revoked: ask for a new one."))
    if invitation.status == InvitationStatus.ACCEPTED:
        raise OrganisationError(_("This invitation was already accepted."))
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Join through an invitation link (the user logged in or just signed up); all or nothing."""
    with transaction.atomic():
        invitation = invitation_from_token(token=token)
        invitation = Invitation.objects.select_for_update().select_related("organisation__group").get(pk=invitation.pk)
        if invitation.status != InvitationStatus.PENDING:
            raise OrganisationError(_("This invitation was already used or revoked."))
        membership = _member_join(organisation=invitation.organisation, user=user, role=invitation.role)
        invitation.status = InvitationStatus.ACCEPTED
        invitation.save(update_fields=["status"])
    return membership
