import pytest
from django.core.management import CommandError, call_command

from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.audit.selectors import audit_chain_verify
from chinhquyenso.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _three_rows():
    for i in range(3):
        audit_record(action="test.action", object_type="thing", object_id=str(i), summary={"n": i})


def test_chain_verifies_and_links_rows():
    _three_rows()
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert audit_chain_verify().ok
    call_command("audit_verify")


def test_changed_row_is_detected_by_number():
    _three_rows()
    AuditEvent.objects.filter(seq=2).update(summary={"n": 99})
    report = audit_chain_verify()
    assert not report.ok and report.first_broken_seq == 2
    with pytest.raises(CommandError, match="#2"):
        call_command("audit_verify")


def test_deleted_middle_row_is_detected():
    _three_rows()
    AuditEvent.objects.filter(seq=2).delete()  # queryset delete bypasses the model guard, as an attacker would
    report = audit_chain_verify()
    assert not report.ok and report.first_broken_seq == 2


def test_deleted_last_row_is_detected():
    _three_rows()
    AuditEvent.objects.filter(seq=3).delete()
    report = audit_chain_verify()
    assert not report.ok and report.first_broken_seq == 3


def test_rows_are_append_only_through_the_model():
    _three_rows()
    row = AuditEvent.objects.get(seq=1)
    row.action = "changed"
    with pytest.raises(RuntimeError):
        row.save()
    with pytest.raises(RuntimeError):
        row.delete()


def test_personal_id_numbers_never_stored():
    event = audit_record(action="dossier.receive", object_type="dossier", object_id="x",
                         summary={"applicant_id": "079203001234"})
    assert "079203001234" not in str(AuditEvent.objects.get(pk=event.pk).summary)
