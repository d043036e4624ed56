"""The dossier state machine in ONE table, and who may do what now.

:data:`TRANSITIONS` says, per action, from which statuses it is allowed, which status it leads
to, whether the current process step must allow it (``ProcessStep.allowed_actions``) and, for
counter work that is not bound to a step, which roles may do it. Services call
:func:`ensure_allowed`; the UI and the API call :func:`allowed_actions`. Both read the same
table, so a button is shown exactly when the service would accept the click.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chinhquyenso.accounts.models import Role
from chinhquyenso.accounts.scope import has_role, visible_agency_ids
from chinhquyenso.core.errors import Conflict, PermissionDenied
from chinhquyenso.dossiers.models import Dossier, DossierConsultation, Status
from chinhquyenso.procedures.models import ProcessStep, StepAction
from chinhquyenso.units.models import Agency, AgencyKind


class Action(enum.StrEnum):
    RECEIVE = "receive"
    SUBMIT_ONLINE = "submit_online"
    ACCEPT = "accept"
    REFUSE = "refuse"
    REQUEST_SUPPLEMENT = "request_supplement"
    RECEIVE_SUPPLEMENT = "receive_supplement"
    FORWARD = "forward"
    RETURN_FOR_REWORK = "return_for_rework"
    CONSULT = "consult"
    ANSWER_CONSULTATION = "answer_consultation"
    REQUIRE_PAYMENT = "require_payment"
    PAYMENT_FULFILLED = "payment_fulfilled"
    STOP = "stop"
    WITHDRAW = "withdraw"
    FINISH = "finish"
    RETURN_RESULT = "return_result"
    APOLOGIZE_EXTEND = "apologize_extend"
    MARK_DIGITIZED = "mark_digitized"


class Desk(enum.StrEnum):
    """Which agency the actor's role must cover."""

    HANDLING = "handling"  # Dossier.agency
    EITHER = "either"  # the receiving or the handling agency (one-stop counter work)
    STEP = "step"  # the agency of the current process step


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    from_statuses: frozenset[int]
    to_status: int | None  # None: status unchanged
    event_kind: str
    step_actions: frozenset[str] = frozenset()  # non-empty: the current step must allow one of these
    roles: frozenset[str] = frozenset()  # for actions not bound to a step
    desk: Desk = Desk.EITHER
    form: str | None = None  # Mẫu of TT 03/2025/TT-VPCP issued with this action


_OFFICE = frozenset({Role.ONE_STOP_OFFICER.value})
_PROCESSORS = frozenset({Role.PROCESSING_OFFICER.value, Role.LEADER.value})
_S = Status

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.RECEIVE, "Tiếp nhận hồ sơ", frozenset(), _S.RECEIVED, "received", roles=_OFFICE, form="01"),
        Transition(Action.SUBMIT_ONLINE, "Nộp hồ sơ trực tuyến", frozenset(), _S.NEW, "submitted"),
        Transition(Action.ACCEPT, "Tiếp nhận hồ sơ trực tuyến", frozenset({_S.NEW}), _S.RECEIVED, "accepted",
                   roles=_OFFICE, form="01"),
        Transition(Action.REFUSE, "Từ chối tiếp nhận", frozenset({_S.NEW, _S.RECEIVED}), _S.REFUSED, "refused",
                   roles=_OFFICE, form="03"),
        Transition(Action.REQUEST_SUPPLEMENT, "Yêu cầu bổ sung hồ sơ", frozenset({_S.RECEIVED, _S.PROCESSING}),
                   _S.SUPPLEMENT_REQUESTED, "supplement_requested",
                   step_actions=frozenset({StepAction.REQUEST_SUPPLEMENT.value}), desk=Desk.STEP, form="02"),
        Transition(Action.RECEIVE_SUPPLEMENT, "Tiếp nhận hồ sơ bổ sung", frozenset({_S.SUPPLEMENT_REQUESTED}),
                   _S.PROCESSING, "supplement_received", roles=_OFFICE),
        Transition(Action.FORWARD, "Chuyển bước tiếp theo", frozenset({_S.RECEIVED, _S.PROCESSING}), _S.PROCESSING,
                   "forwarded", step_actions=frozenset({StepAction.FORWARD.value, StepAction.APPROVE.value,
                                                        StepAction.SIGN.value}), desk=Desk.STEP),
        Transition(Action.RETURN_FOR_REWORK, "Trả lại bước trước", frozenset({_S.PROCESSING}), _S.PROCESSING,
                   "returned_for_rework", step_actions=frozenset({StepAction.RETURN.value}), desk=Desk.STEP),
        Transition(Action.CONSULT, "Xin ý kiến cơ quan khác", frozenset({_S.PROCESSING}), None,
                   "consultation_requested", step_actions=frozenset({StepAction.CONSULT.value}), desk=Desk.STEP),
        Transition(Action.ANSWER_CONSULTATION, "Trả lời xin ý kiến",
                   frozenset({_S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUIRED}), None,
                   "consultation_answered", roles=_PROCESSORS),
        Transition(Action.REQUIRE_PAYMENT, "Yêu cầu thực hiện nghĩa vụ tài chính", frozenset({_S.PROCESSING}),
                   _S.PAYMENT_REQUIRED, "payment_required",
                   step_actions=frozenset({StepAction.REQUIRE_PAYMENT.value}), desk=Desk.STEP),
        Transition(Action.PAYMENT_FULFILLED, "Xác nhận đã thực hiện nghĩa vụ tài chính",
                   frozenset({_S.PAYMENT_REQUIRED}), _S.PROCESSING, "payment_fulfilled",
                   roles=frozenset({Role.ONE_STOP_OFFICER.value, Role.PROCESSING_OFFICER.value})),
        Transition(Action.STOP, "Dừng xử lý",
                   frozenset({_S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUIRED}), _S.STOPPED,
                   "stopped", step_actions=frozenset({StepAction.STOP.value}), desk=Desk.STEP, form="05"),
        Transition(Action.WITHDRAW, "Rút hồ sơ theo yêu cầu của công dân",
                   frozenset({_S.NEW, _S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUIRED}),
                   _S.WITHDRAWN, "withdrawn", roles=_OFFICE),
        Transition(Action.FINISH, "Hoàn thành xử lý", frozenset({_S.PROCESSING}), _S.FINISHED, "finished",
                   step_actions=frozenset({StepAction.FINISH.value}), desk=Desk.STEP),
        Transition(Action.RETURN_RESULT, "Trả kết quả", frozenset({_S.FINISHED}), _S.RETURNED, "result_returned",
                   roles=_OFFICE),
        Transition(Action.APOLOGIZE_EXTEND, "Xin lỗi và gia hạn thời gian giải quyết",
                   frozenset({_S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUIRED}), None,
                   "extended", roles=_PROCESSORS, desk=Desk.HANDLING, form="04"),
        Transition(Action.MARK_DIGITIZED, "Số hóa thành phần hồ sơ",
                   frozenset({_S.NEW, _S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUIRED,
                              _S.FINISHED, _S.RETURNED}), None, "component_digitized", roles=_OFFICE),
    )
}

#: Actions a caller may ask for on an existing dossier (creation actions excluded).
DOSSIER_ACTIONS: tuple[Action, ...] = tuple(a for a, t in TRANSITIONS.items() if t.from_statuses)


def step_agency(dossier: Dossier, step: ProcessStep) -> Agency:
    """Who acts at a step: blank = the handling agency, ``ttpvhcc`` = the receiving service centre."""
    kind = step.agency_kind or ""
    if kind == AgencyKind.SERVICE_CENTRE or (kind and dossier.receiving_agency.kind == kind
                                             and dossier.agency.kind != kind):
        return dossier.receiving_agency
    return dossier.agency


class _RoleCache:
    """``has_role`` answers within one check: the allowed-actions list asks the same thing often."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self._seen: dict[tuple[frozenset[str], int], bool] = {}

    def has(self, roles: Iterable[str], agency: Agency) -> bool:
        wanted = frozenset(roles)
        key = (wanted, agency.pk)
        if key not in self._seen:
            self._seen[key] = bool(wanted) and has_role(self.user, *sorted(wanted), agency=agency)
        return self._seen[key]


def _desk_agencies(dossier: Dossier, transition: Transition) -> list[Agency]:
    if transition.desk == Desk.HANDLING:
        return [dossier.agency]
    return [dossier.receiving_agency, dossier.agency]


def is_owner(user: Any, dossier: Dossier) -> bool:
    return bool(
        user is not None and getattr(user, "is_authenticated", False)
        and dossier.citizen_id is not None and dossier.citizen_id == user.pk
    )


def can_see(user: Any, dossier: Dossier) -> bool:
    """Officers whose scope covers the handling or receiving agency, or an agency consulted on it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    ids = visible_agency_ids(user)
    if ids is None:
        return True
    if ids.filter(pk__in=[dossier.agency_id, dossier.receiving_agency_id]).exists():
        return True
    return DossierConsultation.objects.filter(dossier_id=dossier.pk, agency_id__in=ids).exists()


def _problem(user: Any, dossier: Dossier, action: Action, roles: _RoleCache) -> DomainErrorInfo | None:
    """Why ``user`` may not do ``action`` now (None: allowed). State first, then step, then role."""
    transition = TRANSITIONS[action]
    if dossier.status not in transition.from_statuses:
        return DomainErrorInfo(
            "conflict", "invalid_transition",
            f"Không thể thực hiện “{transition.label}” khi hồ sơ đang ở trạng thái "
            f"“{Status(dossier.status).label}”.",
        )
    if transition.step_actions:
        step = dossier.current_step
        if step is None:
            return DomainErrorInfo("conflict", "no_current_step", "Hồ sơ không ở bước xử lý nào.")
        if not transition.step_actions.intersection(step.allowed_actions or []):
            return DomainErrorInfo(
                "conflict", "action_not_allowed_at_step",
                f"Bước “{step.name}” của quy trình không cho phép “{transition.label}”.",
            )
        if not roles.has([step.role], step_agency(dossier, step)):
            return DomainErrorInfo(
                "forbidden", "role_required",
                f"Bước “{step.name}” do vai trò “{Role(step.role).label if step.role in Role.values else step.role}”"
                " thực hiện; bạn không có vai trò này tại cơ quan xử lý.",
            )
        return None
    if action == Action.WITHDRAW and is_owner(user, dossier):
        return None
    if action == Action.ANSWER_CONSULTATION:
        return None  # decided per consultation by the service
    if not any(roles.has(transition.roles, agency) for agency in _desk_agencies(dossier, transition)):
        return DomainErrorInfo(
            "forbidden", "role_required", f"Bạn không có vai trò cần thiết để “{transition.label}” hồ sơ này."
        )
    return None


@dataclass(frozen=True)
class DomainErrorInfo:
    kind: str  # "conflict" or "forbidden"
    code: str
    message: str

    def raise_(self) -> None:
        if self.kind == "forbidden":
            raise PermissionDenied(self.message, code=self.code)
        raise Conflict(self.message, code=self.code)


def ensure_allowed(user: Any, dossier: Dossier, action: Action) -> Transition:
    """Raise Conflict (wrong status / step does not allow it) or PermissionDenied (role, scope)."""
    problem = _problem(user, dossier, action, _RoleCache(user))
    if problem is not None:
        problem.raise_()
    return TRANSITIONS[action]


def _extra_guard(user: Any, dossier: Dossier, action: Action) -> bool:
    """Conditions beyond the table, so the list never offers a button the service would refuse."""
    step = dossier.current_step
    if action == Action.FORWARD:
        return step is not None and step.process.steps.filter(order__gt=step.order).exists()
    if action == Action.RETURN_FOR_REWORK:
        return step is not None and step.process.steps.filter(order__lt=step.order).exists()
    if action == Action.FINISH:
        return not dossier.consultations.filter(answered_at__isnull=True).exists()
    if action == Action.APOLOGIZE_EXTEND:
        return dossier.due_at is not None
    if action == Action.MARK_DIGITIZED:
        return dossier.components.filter(digitized=False).exists()
    if action == Action.ANSWER_CONSULTATION:
        ids = visible_agency_ids(user)
        open_ = dossier.consultations.filter(answered_at__isnull=True)
        if ids is not None:
            open_ = open_.filter(agency_id__in=ids)
        return any(has_role(user, *sorted(_PROCESSORS), agency=c.agency) for c in open_.select_related("agency"))
    return True


def allowed_actions(user: Any, dossier: Dossier) -> list[str]:
    """Action names ``user`` may do on ``dossier`` right now, in table order."""
    if not can_see(user, dossier) and not is_owner(user, dossier):
        return []
    roles = _RoleCache(user)
    return [
        str(action)
        for action in DOSSIER_ACTIONS
        if _problem(user, dossier, action, roles) is None and _extra_guard(user, dossier, action)
    ]
