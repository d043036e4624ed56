"""Who may do what to a petition, in ONE table.

Services call :func:`ensure_allowed`; the pages and the API call :func:`allowed_actions`. Both
read :data:`TRANSITIONS`, so a form is shown exactly when the service would accept it.

Officer actions need one of the listed roles with a scope covering the petition's handling
agency (:func:`chinhquyenso.accounts.scope.has_role`); submitter actions need the account that
sent the petition.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import has_role
from chinhquyenso.core.errors import Conflict, PermissionDenied
from chinhquyenso.feedback.models import OPEN_STATUSES, Petition, PetitionStatus


class Action(enum.StrEnum):
    CLASSIFY = "classify"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    REQUEST_INFO = "request_info"
    SUPPLY_INFO = "supply_info"
    REFUSE = "refuse"
    ANSWER = "answer"
    PUBLISH = "publish"
    RATE = "rate"
    REOPEN = "reopen"


class Who(enum.StrEnum):
    OFFICER = "officer"
    SUBMITTER = "submitter"
    EITHER = "either"  # the submitter, or an officer recording what came by phone or letter


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    from_statuses: frozenset[str]
    to_status: str | None  # None: unchanged
    who: Who
    roles: frozenset[str] = frozenset()


#: Roles that handle PAKN at an agency; an assignee must hold one over the petition's agency.
HANDLER_ROLES = (Role.ONE_STOP_OFFICER.value, Role.PROCESSING_OFFICER.value, Role.LEADER.value)
_HANDLERS = frozenset(HANDLER_ROLES)
_DISPATCHERS = frozenset({Role.ONE_STOP_OFFICER.value, Role.LEADER.value})
_ANSWERERS = frozenset({Role.PROCESSING_OFFICER.value, Role.LEADER.value})
_WAITING = frozenset({PetitionStatus.RECEIVED.value, PetitionStatus.TRANSFERRED.value})
_OPEN = frozenset(str(s) for s in OPEN_STATUSES)
_ANSWERED = frozenset({PetitionStatus.ANSWERED.value, PetitionStatus.PUBLISHED.value})

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.CLASSIFY, "Phân loại", _OPEN, None, Who.OFFICER, _HANDLERS),
        Transition(Action.ASSIGN, "Phân công xử lý", _OPEN, None, Who.OFFICER, _DISPATCHERS),
        Transition(Action.TRANSFER, "Chuyển cơ quan khác", _OPEN, PetitionStatus.TRANSFERRED, Who.OFFICER,
                   _DISPATCHERS),
        Transition(Action.REQUEST_INFO, "Yêu cầu bổ sung thông tin",
                   _WAITING | {PetitionStatus.IN_PROGRESS.value}, PetitionStatus.INFO_REQUESTED, Who.OFFICER,
                   _HANDLERS),
        Transition(Action.SUPPLY_INFO, "Bổ sung thông tin", frozenset({PetitionStatus.INFO_REQUESTED.value}),
                   PetitionStatus.IN_PROGRESS, Who.EITHER, _HANDLERS),
        Transition(Action.REFUSE, "Từ chối tiếp nhận", _OPEN, PetitionStatus.REFUSED, Who.OFFICER, _DISPATCHERS),
        Transition(Action.ANSWER, "Trả lời", _OPEN, PetitionStatus.ANSWERED, Who.OFFICER, _ANSWERERS),
        Transition(Action.PUBLISH, "Công khai kết quả", frozenset({PetitionStatus.ANSWERED.value}),
                   PetitionStatus.PUBLISHED, Who.OFFICER, frozenset({Role.LEADER.value})),
        Transition(Action.RATE, "Đánh giá kết quả trả lời", _ANSWERED, None, Who.SUBMITTER),
        Transition(Action.REOPEN, "Phản ánh lại", _ANSWERED | {str(PetitionStatus.REFUSED)}, None, Who.SUBMITTER),
    )
}

#: Actions that move a waiting petition (received / transferred in) to "in progress".
STARTS_WORK = frozenset({Action.CLASSIFY, Action.ASSIGN})


def is_submitter(user: Any, petition: Petition) -> bool:
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and petition.submitter_id is not None
        and petition.submitter_id == user.pk
    )


def _officer_may(user: Any, petition: Petition, roles: frozenset[str]) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)) and has_role(
        user, *sorted(roles), agency=petition.agency_id
    )


def may_act(user: Any, petition: Petition, action: Action) -> bool:
    """Role/ownership only, not the status."""
    t = TRANSITIONS[action]
    if t.who == Who.SUBMITTER:
        return is_submitter(user, petition)
    if t.who == Who.EITHER and is_submitter(user, petition):
        return True
    return _officer_may(user, petition, t.roles)


def _status_ok(petition: Petition, action: Action) -> bool:
    return petition.status in TRANSITIONS[action].from_statuses


def _extra_ok(user: Any, petition: Petition, action: Action) -> bool:
    """Once-only rules that the table cannot express."""
    if action == Action.RATE:
        return not petition.ratings.filter(rater_id=getattr(user, "pk", None)).exists()
    if action == Action.REOPEN:
        return petition.raised_again_at is None
    return True


def allowed_actions(user: Any, petition: Petition) -> list[str]:
    """What ``user`` may do now, in table order."""
    return [
        str(a) for a in TRANSITIONS
        if _status_ok(petition, a) and may_act(user, petition, a) and _extra_ok(user, petition, a)
    ]


def ensure_allowed(user: Any, petition: Petition, action: Action) -> Transition:
    """PermissionDenied for the wrong person, Conflict for the wrong status."""
    t = TRANSITIONS[action]
    if not may_act(user, petition, action):
        if t.who == Who.SUBMITTER:
            raise PermissionDenied("Chỉ người gửi phản ánh mới thực hiện được thao tác này.", code="submitter_only")
        raise PermissionDenied("Bạn không có vai trò cần thiết để thực hiện thao tác này.", code="role_required")
    if not _status_ok(petition, action):
        raise Conflict(
            f"Không thể {t.label.lower()} khi phản ánh đang ở trạng thái «{petition.get_status_display()}».",
            code="invalid_transition", details={"status": petition.status, "action": str(action)},
        )
    return t
