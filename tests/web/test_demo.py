import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from chinhquyenso.accounts.models import RoleAssignment, User
from chinhquyenso.accounts.scope import has_role
from chinhquyenso.units.models import Agency, Unit

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    call_command("demo", "--no-dossiers", *args, stdout=out)
    return out.getvalue()


def _passwords(output):
    return dict(re.findall(r"^\s+(\S+)\s+.+?\s+(\w{5}-\w{5}-\w{5}-\w{5})$", output, flags=re.M))


def test_demo_creates_one_user_per_role_with_printed_passwords(rf):
    output = _run()
    passwords = _passwords(output)
    assert len(passwords) == 10
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == {"province_admin", "auditor", "one_stop_officer", "processing_officer", "leader", "unit_admin"}
    assert User.objects.get(username="congdan.demo").is_citizen
    request = rf.post("/")
    assert authenticate(request, username="anphu.motcua", password=passwords["anphu.motcua"]) is not None
    officer = User.objects.get(username="anphu.motcua")
    an_phu = Agency.objects.get(code="H01.30337")
    other = Agency.objects.filter(kind="ubnd", unit__level="commune").exclude(pk=an_phu.pk).first()
    assert has_role(officer, "one_stop_officer", agency=an_phu)
    assert not has_role(officer, "one_stop_officer", agency=other)
    assert Unit.objects.filter(level="commune", valid_to__isnull=True).count() == 102


def test_demo_is_idempotent_and_prints_passwords_once():
    _run()
    users = User.objects.count()
    second = _run()
    assert User.objects.count() == users
    assert _passwords(second) == {}
    reset = _run("--reset-passwords")
    assert len(_passwords(reset)) == 10


def test_demo_dossiers_cover_the_states_an_officer_meets():
    from chinhquyenso.audit.selectors import audit_chain_verify
    from chinhquyenso.dossiers.models import Dossier, DossierEvent

    call_command("demo", stdout=StringIO())
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert {1, 2, 4, 5, 9, 10} <= statuses
    assert DossierEvent.objects.count() > Dossier.objects.count()
    assert audit_chain_verify().ok
    count = Dossier.objects.count()
    call_command("demo", stdout=StringIO())
    assert Dossier.objects.count() == count
