"""``Idempotency-Key``: replay the first answer, refuse a different request under the same key."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from chinhquyenso.accounts.models import User
from chinhquyenso.audit.models import AuditEvent
from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, ValidationFailed
from chinhquyenso.core.idempotency import idempotency_purge, idempotent, request_identity
from chinhquyenso.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def make_request(user: Any, body: dict[str, Any], path: str = "/api/v1/things") -> Any:
    request = RequestFactory().post(path, data=json.dumps(body), content_type="application/json")
    request.user = user
    return request


@pytest.fixture
def alice() -> User:
    return User.objects.create(username="alice")


class Counter:
    """An action with a visible side effect (an audit row) and a call count."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> tuple[int, dict[str, Any]]:
        self.calls += 1
        audit_record(action="test.thing", object_type="thing", object_id=str(self.calls))
        return 201, {"n": self.calls, "at": dt.date(2026, 2, 12)}


def test_same_key_and_body_replays_without_running_again(alice: User) -> None:
    action = Counter()
    first = idempotent(make_request(alice, {"a": 1}), "k-1", action)
    second = idempotent(make_request(alice, {"a": 1}), "k-1", action)
    assert first.status_code == second.status_code == 201
    assert json.loads(first.content) == json.loads(second.content) == {"n": 1, "at": "2026-02-12"}
    assert second["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert action.calls == 1 and AuditEvent.objects.filter(action="test.thing").count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.identity, record.key, record.method, record.path, record.response_status) == (
        f"user:{alice.pk}", "k-1", "POST", "/api/v1/things", 201)


def test_same_key_different_request_is_a_conflict(alice: User) -> None:
    action = Counter()
    idempotent(make_request(alice, {"a": 1}), "k-1", action)
    for request in (make_request(alice, {"a": 2}), make_request(alice, {"a": 1}, path="/api/v1/other")):
        with pytest.raises(Conflict) as exc:
            idempotent(request, "k-1", action)
        assert exc.value.code == "idempotency_conflict" and exc.value.status == 409
    assert action.calls == 1


def test_no_key_runs_every_time(alice: User) -> None:
    action = Counter()
    idempotent(make_request(alice, {}), None, action)
    idempotent(make_request(alice, {}), "", action)
    assert action.calls == 2 and IdempotencyRecord.objects.count() == 0


def test_keys_are_per_caller(alice: User) -> None:
    bob = User.objects.create(username="bob")
    action = Counter()
    idempotent(make_request(alice, {}), "shared", action)
    idempotent(make_request(bob, {}), "shared", action)
    assert action.calls == 2 and IdempotencyRecord.objects.count() == 2


def test_errors_are_not_remembered(alice: User) -> None:
    def failing() -> Any:
        audit_record(action="test.half", object_type="thing", object_id="x")
        raise ValidationFailed("Sai dữ liệu.")

    with pytest.raises(ValidationFailed):
        idempotent(make_request(alice, {}), "k-2", failing)
    assert IdempotencyRecord.objects.count() == 0
    assert AuditEvent.objects.filter(action="test.half").count() == 0  # rolled back with the record
    action = Counter()
    assert idempotent(make_request(alice, {}), "k-2", action).status_code == 201 and action.calls == 1


@pytest.mark.parametrize("key", ["có dấu", "a b", "x" * 201])
def test_malformed_keys_are_refused(alice: User, key: str) -> None:
    action = Counter()
    with pytest.raises(ValidationFailed):
        idempotent(make_request(alice, {}), key, action)
    assert action.calls == 0


def test_identity_prefers_the_api_token(alice: User) -> None:
    request = make_request(alice, {})
    assert request_identity(request) == f"user:{alice.pk}"
    request.api_token = type("Token", (), {"pk": 7})()
    assert request_identity(request) == "token:7"


def test_purge_forgets_old_answers(alice: User) -> None:
    idempotent(make_request(alice, {}), "old", Counter())
    idempotent(make_request(alice, {}), "new", Counter())
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(days=8))
    assert idempotency_purge(older_than=dt.timedelta(days=7)) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
