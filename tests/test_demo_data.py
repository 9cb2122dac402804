"""`make run` calls the shell's demo_data command at every start."""

from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import AddressBook, User


def test_demo_data_is_created_once(db, capsys):
    call_command("demo_data")
    call_command("demo_data")
    assert User.objects.filter(username="demo").count() == 1
    demo = User.objects.get(username="demo")
    assert demo.check_password("demo-sms-office")
    assert Group.objects.count() == 1
    assert AddressBook.objects.filter(owner=demo).get().contacts.count() == 1
    assert "demo / demo-sms-office" in capsys.readouterr().out
    # A sender ID approved for the demo user, to pick in the composer.
    assert list(demo.sender_ids.values_list("name", "status")) == [("SMS Office", "approved")]
