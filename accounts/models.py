"""Users, address books, contacts and Lists. Thin: every write is in services.py."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import phones


def default_region() -> str:
    return settings.PHONE_DEFAULT_REGION


def default_time_zone() -> str:
    return settings.DEFAULT_USER_TIME_ZONE


class User(AbstractUser):
    """A person using the suite, with the personal data the SMS features need."""

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    # E.164, or empty: where reminders and alerts go.
    mobile = models.CharField(_("mobile number"), max_length=16, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # ISO 3166-1 alpha-2; national numbers (0475 ...) are read with it. Empty: none.
    default_country = models.CharField(_("default country"), max_length=2, blank=True, default=default_region)
    # Appended to SMS; empty means "my name" (see `signature`).
    sms_signature = models.CharField(_("SMS signature"), max_length=60, blank=True)

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()

    @property
    def signature(self) -> str:
        return self.sms_signature or self.get_full_name()

    @property
    def mobile_display(self) -> str:
        return phones.format_international(self.mobile) if self.mobile else ""


class OwnedByUserOrGroup(models.Model):
    """Something private to one user or shared by every member of one group."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    @property
    def is_shared(self) -> bool:
        return self.group_id is not None

    @property
    def scope_display(self) -> str:
        return self.group.name if self.group_id else _("Private")


def exactly_one_owner(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(owner__isnull=False, group__isnull=True) | Q(owner__isnull=True, group__isnull=False),
        name=name,
    )


class AddressBook(OwnedByUserOrGroup):
    """A user's private book (one each) or a group's shared book (one each)."""

    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["group__name", "name"]
        constraints = [
            exactly_one_owner("addressbook_one_owner"),
            models.UniqueConstraint(fields=["owner"], condition=Q(owner__isnull=False), name="one_private_book"),
            models.UniqueConstraint(fields=["group"], condition=Q(group__isnull=False), name="one_group_book"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    book = models.ForeignKey(AddressBook, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    # Lower-cased name, organisation, emails and number digits, kept by contact_save:
    # one column to scan makes search fast without a join per number or address.
    search_text = models.TextField(blank=True, editable=False)
    # Who created it (null for contacts from before this was recorded): with a group
    # administrator, the only one who may move it out of a group book.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["book", "name"])]

    def __str__(self) -> str:
        return self.name


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    HOME = "home", _("home")
    WORK = "work", _("work")
    FAX = "fax", _("fax")
    OTHER = "other", _("other")


class ContactPhone(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    label = models.CharField(_("type"), max_length=8, choices=PhoneLabel.choices, default=PhoneLabel.MOBILE)
    # As typed or imported; kept so that a number we could not read is not lost.
    raw = models.CharField(_("number"), max_length=40)
    # E.164 when the number could be read, empty otherwise (then it is not SMS-able).
    e164 = models.CharField(max_length=16, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return phones.format_international(self.e164) if self.e164 else self.raw

    @property
    def sms_refusal(self) -> str | None:
        """Why this number is not a link to the SMS composer, or None when it is."""
        return phones.sms_refusal(
            e164=self.e164, labelled_mobile=self.label == PhoneLabel.MOBILE, label=self.get_label_display()
        )


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("email"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.address


class ContactList(OwnedByUserOrGroup):
    """A named distribution list of contacts and free numbers or addresses."""

    name = models.CharField(_("name"), max_length=100)
    # As on Contact: null for Lists from before this was recorded.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [exactly_one_owner("contactlist_one_owner")]

    def __str__(self) -> str:
        return self.name


class ListMember(models.Model):
    """One entry of a List: a contact, or a free number, or a free email address."""

    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("number"), max_length=16, blank=True)  # E.164
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(contact__isnull=False, phone="", email="")
                    | Q(contact__isnull=True, phone="", email__gt="")
                    | Q(contact__isnull=True, phone__gt="", email="")
                ),
                name="listmember_one_kind",
            ),
            models.UniqueConstraint(
                fields=["contact_list", "contact"], condition=Q(contact__isnull=False), name="list_contact_once"
            ),
            models.UniqueConstraint(fields=["contact_list", "phone"], condition=~Q(phone=""), name="list_phone_once"),
            models.UniqueConstraint(fields=["contact_list", "email"], condition=~Q(email=""), name="list_email_once"),
        ]

    def __str__(self) -> str:
        if self.contact_id:
            return str(self.contact)
        return phones.format_international(self.phone) if self.phone else self.email


class GroupAdministrator(models.Model):
    """A user who administers a group's shared data (set in the admin console).

    Deliberately small: it only lets its user move the group's contacts and Lists out
    of the group. Superusers count as administrators of every group. Organisations
    with owner/admin roles (a later issue) will replace this relation.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+", verbose_name=_("group"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )

    class Meta:
        verbose_name = _("group administrator")
        verbose_name_plural = _("group administrators")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_administrator_once")]

    def __str__(self) -> str:
        return f"{self.user} ({self.group})"


class SharedDataMove(models.Model):
    """A contact or List moved out of a group book or group: the trail administrators read.

    Names are copied as they were at the time so the row still reads after the user,
    group or object is deleted; the foreign keys are kept where they still exist.
    """

    class Kind(models.TextChoices):
        CONTACT = "contact", _("contact")
        LIST = "list", _("List")

    at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("what"), max_length=8, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("id"))
    object_name = models.CharField(_("name"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("moved by")
    )
    actor_name = models.CharField(_("moved by"), max_length=150)
    from_group = models.ForeignKey(
        Group, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("from group")
    )
    from_group_name = models.CharField(_("from group"), max_length=150)
    # Where it went: a group, or a user's private book or Lists.
    destination = models.CharField(_("to"), max_length=200)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("shared data move")
        verbose_name_plural = _("shared data moves")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_name}: {self.from_group_name} -> {self.destination}"


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    ADMIN = "admin", _("admin")
    MEMBER = "member", _("member")


# Roles that manage the organisation: members, roles, limits, buying, the export.
MANAGING_ROLES = (Role.OWNER, Role.ADMIN)


class Organisation(models.Model):
    """A company, association or family whose members share one subscription and credit pool.

    Its credit account (credits.CreditAccount.organisation) pays every SMS its members
    send. Its shared address book and Lists are those of `group`: a member is in the
    group while a member, so leaving removes access at once (the group mechanism's
    visible_scope does the rest).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organisation")
    # Periods of the pool start at local midnight here.
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user in an organisation, with a role and an optional monthly limit (credits a period).

    One organisation a user at most (the unique user): "who pays" always has one answer.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    # Null: no limit beyond the pool itself.
    monthly_limit = models.PositiveIntegerField(_("monthly limit"), null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"

    @property
    def manages(self) -> bool:
        return self.role in MANAGING_ROLES


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REVOKED = "revoked", _("revoked")


class Invitation(models.Model):
    """An invitation by email to join an organisation; the link carries its id, signed, valid 7 days."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=8, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation}"
