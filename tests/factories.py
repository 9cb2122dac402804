import factory
from django.contrib.auth.models import Group

from accounts.models import AddressBook, Contact, ContactEmail, ContactList, ContactPhone, User

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
