"""The house rules hold, and the check that enforces one of them would notice a breach."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_orm_writes", ROOT / "scripts" / "check_orm_writes.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def test_an_orm_write_in_a_view_is_found_and_other_updates_are_not(tmp_path):
    view = tmp_path / "views.py"
    view.write_text(
        "def rename(request, contact):\n"
        "    contact.save()\n"
        "    Contact.objects.filter(pk=1).update(name='x')\n"
        "    Contact.objects.create(name='y')\n"
        "    form.save(commit=False)\n"
        "    counts = {}\n"
        "    counts.update(a=1)\n"
        "    cache.delete('k')\n"
        "    request.session.save()\n"
        "    helper.save()  # not an ORM write: it sends mail\n"
    )
    check.ROOT = tmp_path
    found = check.writes_in(view)
    assert [line.split(": ", 1)[1] for line in found] == [
        "contact.save()",
        "Contact.objects.filter(pk=1).update()",
        "Contact.objects.create()",
    ]


def test_services_modules_may_write():
    assert check.is_services_module(Path("messaging/services/outbox.py"))
    assert check.is_services_module(Path("accounts/services.py"))
    assert not check.is_services_module(Path("messaging/views.py"))


def test_the_project_keeps_its_writes_in_services():
    run = subprocess.run([sys.executable, "scripts/check_orm_writes.py"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
