import factory
from django.contrib.auth.models import Group

from accounts.models import AddressBook, Contact, ContactEmail, ContactList, ContactPhone, ListMember, User
from accounts.services import PhoneEntry, address_books_ensure, contact_save

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    full_name = factory.Sequence(lambda n: f"User Number{n}")
    default_country = "BE"
    time_zone = "Europe/Brussels"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Team {n}")


class PrivateBookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddressBook
        django_get_or_create = ("owner",)

    owner = factory.SubFactory(UserFactory)
    name = "Private contacts"


class GroupBookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddressBook
        django_get_or_create = ("group",)

    group = factory.SubFactory(GroupFactory)
    name = factory.LazyAttribute(lambda b: b.group.name)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    book = factory.SubFactory(PrivateBookFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    organisation = ""
    # Numbers and emails added by other factories are not searchable: tests of
    # search build their contacts with services.contact_save.
    search_text = factory.LazyAttribute(lambda c: f"{c.name}\n{c.organisation}".lower())


class ContactPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPhone

    contact = factory.SubFactory(ContactFactory)
    label = "mobile"
    e164 = "+32475123456"
    raw = "+32 475 12 34 56"


class ContactEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactEmail

    contact = factory.SubFactory(ContactFactory)
    address = factory.Sequence(lambda n: f"contact{n}@example.org")


class ContactListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactList

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"List {n}")


def team_of_three(user) -> ContactList:
    """A List "Team" of three contacts: Emma (email only), Mo (mobile only), Fay (email, mobile and fax)."""
    book = address_books_ensure(user=user)[0]
    emma = contact_save(book=book, name="Emma Email", emails=["emma@example.org"])
    mo = contact_save(book=book, name="Mo Mobile", phone_entries=[PhoneEntry("mobile", "", "+32486112233")])
    fay = contact_save(
        book=book,
        name="Fay Everything",
        emails=["fay@example.org"],
        phone_entries=[PhoneEntry("mobile", "", "+32486445566"), PhoneEntry("fax", "", "+3225551234")],
    )
    team = ContactList.objects.create(owner=user, name="Team")
    for contact in (emma, mo, fay):
        ListMember.objects.create(contact_list=team, contact=contact)
    return team
