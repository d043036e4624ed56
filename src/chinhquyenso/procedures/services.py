"""Writes to the TTHC catalog: upsert one procedure, add a process version, import a file.

Rules that keep dossiers safe:

- A :class:`ProcessVersion` is never edited. A changed internal process becomes a new version;
  dossiers keep the one they started with.
- Child rows (components, fees, results) are matched by their natural key (component code, fee
  code or name + start date, result code or name) and updated in place, so ids that dossiers
  point to stay stable; a row that dossiers still use cannot be removed (Conflict).
- An import validates every row first and writes nothing if any row is bad.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Prefetch, ProtectedError
from django.utils import timezone
from pydantic import ValidationError

from chinhquyenso.audit.services import audit_record
from chinhquyenso.core.errors import Conflict, DomainError, ValidationFailed
from chinhquyenso.core.text import fold
from chinhquyenso.procedures import importers
from chinhquyenso.procedures.models import (
    LegalBasis,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    ProcedureField,
    ProcedureResult,
    ProcessStep,
    ProcessVersion,
)
from chinhquyenso.procedures.schemas import (
    ComponentIn,
    FeeIn,
    LegalBasisIn,
    ProcedureIn,
    ResultIn,
    StepIn,
    check_steps_fit,
    errors_vi,
)
from chinhquyenso.procedures.selectors import process_version_latest
from chinhquyenso.units.models import Agency

DEMO_PATH = Path(__file__).resolve().parent / "data" / "an_giang_procedures.json"
_CENT = Decimal("0.01")

M = TypeVar("M", bound=models.Model)
I = TypeVar("I")  # noqa: E741


# --- lookups shared by a batch ---------------------------------------------------------------------


def _current_agencies(on: dt.date) -> list[Agency]:
    return [a for a in Agency.objects.all() if a.valid_from <= on and (a.valid_to is None or on < a.valid_to)]


def _match_agencies(refs: Iterable[str], agencies: Sequence[Agency]) -> tuple[list[Agency], list[str]]:
    folded = [(a, {fold(a.code), fold(a.portal_code), fold(a.name), fold(a.short_name)}, fold(a.name))
              for a in agencies]
    found: list[Agency] = []
    unresolved: list[str] = []
    for ref in refs:
        key = fold(ref)
        if not key:
            continue
        matches = [a for a, keys, _ in folded if key in keys] or [
            a for a, _, name in folded if name.startswith(key + " ")
        ]
        if len(matches) == 1:
            if matches[0] not in found:
                found.append(matches[0])
        else:
            unresolved.append(ref)
    return found, unresolved


def agencies_resolve(refs: Iterable[str], *, on: dt.date | None = None) -> tuple[list[Agency], list[str]]:
    """Find agencies by code, portal code, name or short name (diacritics-insensitive); a name
    without the province suffix ("Sở Tư pháp") matches "Sở Tư pháp tỉnh An Giang". Returns the
    agencies found and the references that matched none or several."""
    return _match_agencies(refs, _current_agencies(on or timezone.localdate()))


def _procedures_for_update(codes: Iterable[str]) -> dict[str, Procedure]:
    """Existing procedures (locked) with every child row prefetched: one query per table."""
    versions = ProcessVersion.objects.order_by("-version").prefetch_related(
        Prefetch("steps", queryset=ProcessStep.objects.order_by("order"))
    )
    rows = (
        Procedure.objects.select_for_update()
        .filter(code__in=list(codes))
        .prefetch_related("components", "fees", "results", "legal_bases", "handling_agencies",
                          Prefetch("process_versions", queryset=versions))
    )
    return {p.code: p for p in rows}


@dataclass
class _Batch:
    """What every procedure of one import needs; read once."""

    agencies: list[Agency]
    fields: dict[str, ProcedureField]
    procedures: dict[str, Procedure]

    @classmethod
    def load(cls, codes: Iterable[str]) -> _Batch:
        return cls(
            agencies=_current_agencies(timezone.localdate()),
            fields={f.code: f for f in ProcedureField.objects.all()},
            procedures=_procedures_for_update(codes),
        )


def _latest_version(procedure: Procedure) -> ProcessVersion | None:
    versions = list(procedure.process_versions.all())
    return max(versions, key=lambda v: v.version) if versions else None


def _field_for(data: ProcedureIn, batch: _Batch) -> tuple[ProcedureField, bool]:
    existing = batch.fields.get(data.field_code)
    if existing is None:
        existing = ProcedureField.objects.create(code=data.field_code, name=data.field_name)
        batch.fields[existing.code] = existing
        return existing, True
    if data.field_name and existing.name != data.field_name:
        existing.name = data.field_name
        existing.save(update_fields=["name"])
        return existing, True
    return existing, False


# --- checks that need the database -------------------------------------------------------------------


def _db_problems(data: ProcedureIn, batch: _Batch, *, strict_agencies: bool = True,
                 known_fields: set[str] | None = None) -> list[tuple[str, str]]:
    """``[(field, message)]`` for what the schema cannot see: unknown field or agency, a process
    that would go back in time, a new time limit the current process no longer fits."""
    problems: list[tuple[str, str]] = []
    if not data.field_name and data.field_code not in batch.fields and data.field_code not in (known_fields or ()):
        problems.append(("field_name", f"Lĩnh vực «{data.field_code}» chưa có; hãy điền tên lĩnh vực."))
    if strict_agencies and data.handling_agencies:
        _found, unresolved = _match_agencies(data.handling_agencies, batch.agencies)
        for ref in unresolved:
            problems.append(("handling_agencies", f"Không tìm thấy (hoặc tìm thấy nhiều) cơ quan «{ref}»."))
    procedure = batch.procedures.get(data.code)
    latest = _latest_version(procedure) if procedure is not None else None
    if latest is None:
        return problems
    if data.process is not None:
        if _steps_signature(data.process.steps) != _version_signature(latest):
            valid_from = data.process.valid_from or timezone.localdate()
            if valid_from < latest.valid_from:
                problems.append((
                    "process.valid_from",
                    f"Quy trình mới phải có hiệu lực từ {latest.valid_from:%d/%m/%Y} trở đi "
                    f"(phiên bản {latest.version} đang áp dụng từ ngày đó).",
                ))
    else:
        steps = [StepIn.model_validate(_step_dict(s)) for s in latest.steps.all()]
        try:
            check_steps_fit(steps, time_amount=data.time_limit_amount, time_unit=data.time_limit_unit)
        except ValueError:
            problems.append((
                "process",
                "Thời hạn giải quyết thay đổi nên quy trình nội bộ hiện hành không còn khớp; "
                "hãy khai báo quy trình mới.",
            ))
    return problems


# --- upsert ----------------------------------------------------------------------------------------------


@dataclass
class UpsertOutcome:
    procedure: Procedure
    status: str  # "created" | "updated" | "unchanged"
    new_version: ProcessVersion | None = None
    changed: list[str] = field(default_factory=list)


_SCALARS = (
    "name", "level", "service_level", "full_online_eligible", "time_limit_amount", "time_limit_unit",
    "time_limit_text", "result_on_paper", "applicant_types", "steps_text", "submission_methods_text",
    "applicants_text", "agencies_text", "requirements_text", "status", "published_decision",
    "published_decision_date", "made_public_at",
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(str(a)).quantize(_CENT) == Decimal(str(b)).quantize(_CENT)
    return bool(a == b)


def _sync_children(
    existing: Sequence[M],
    items: Sequence[I],
    *,
    model_key: Callable[[M], Any],
    item_key: Callable[[I], Any],
    values: Callable[[I, int], dict[str, Any]],
    create: Callable[[dict[str, Any]], M],
    what: str,
) -> bool:
    """Update children in place by natural key, create new ones, delete the rest."""
    changed = False
    by_key = {model_key(row): row for row in existing}
    seen: set[Any] = set()
    for position, item in enumerate(items):
        key = item_key(item)
        seen.add(key)
        wanted = values(item, position)
        row = by_key.get(key)
        if row is None:
            create(wanted)
            changed = True
            continue
        diff = [name for name, value in wanted.items() if not _same(getattr(row, name), value)]
        if diff:
            for name in diff:
                setattr(row, name, wanted[name])
            row.save(update_fields=diff)
            changed = True
    for key, row in by_key.items():
        if key in seen:
            continue
        try:
            row.delete()
        except ProtectedError:
            raise Conflict(
                f"Không thể xóa {what} «{row}» vì hồ sơ đã sử dụng; hãy giữ lại hoặc cho hết hiệu lực."
            ) from None
        changed = True
    return changed


def _fee_key(fee: ProcedureFee) -> tuple[str, dt.date]:
    return (fee.code or fold(fee.name), fee.valid_from)


def _component_values(item: ComponentIn, position: int) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "copy_type": item.copy_type, "count": item.count,
            "required": item.required, "reusable": item.reusable, "document_type": item.document_type,
            "template_name": item.template_name, "order": position + 1}


def _fee_values(item: FeeIn, position: int) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "amount": item.amount, "stage": item.stage,
            "exempt_applicant_types": item.exempt_applicant_types, "exemption_text": item.exemption_text,
            "basis": item.basis, "valid_from": item.valid_from, "valid_to": item.valid_to}


def _result_values(item: ResultIn, position: int) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "document_type": item.document_type,
            "validity_months": item.validity_months}


def _basis_values(item: LegalBasisIn, position: int) -> dict[str, Any]:
    return {"document": item.document, "title": item.title, "effective_from": item.effective_from}


def _apply(data: ProcedureIn, *, actor: Any, batch: _Batch, strict_agencies: bool) -> UpsertOutcome:
    problems = _db_problems(data, batch, strict_agencies=strict_agencies)
    if problems:
        raise ValidationFailed(problems[0][1], details=[{"field": f, "message": m} for f, m in problems])
    field_obj, field_changed = _field_for(data, batch)
    procedure = batch.procedures.get(data.code)
    created = procedure is None
    changed: list[str] = []
    if procedure is None:
        procedure = Procedure(code=data.code, field=field_obj)
    elif procedure.field_id != field_obj.pk or field_changed:
        procedure.field = field_obj
        changed.append("field")
    for name in _SCALARS:
        value = getattr(data, name)
        if created or not _same(getattr(procedure, name), value):
            setattr(procedure, name, value)
            if not created:
                changed.append(name)
    if created or changed:
        procedure.save()

    agencies, _unresolved = _match_agencies(data.handling_agencies, batch.agencies)
    current_agencies = set() if created else {a.pk for a in procedure.handling_agencies.all()}
    if {a.pk for a in agencies} != current_agencies:
        procedure.handling_agencies.set(agencies)
        changed.append("handling_agencies")

    proc = procedure
    if created:  # nothing to match: one INSERT per table
        ProcedureComponent.objects.bulk_create(
            [ProcedureComponent(procedure=proc, **_component_values(c, i)) for i, c in enumerate(data.components)])
        ProcedureFee.objects.bulk_create([ProcedureFee(procedure=proc, **_fee_values(f, i))
                                          for i, f in enumerate(data.fees)])
        ProcedureResult.objects.bulk_create([ProcedureResult(procedure=proc, **_result_values(r, i))
                                             for i, r in enumerate(data.results)])
        LegalBasis.objects.bulk_create([LegalBasis(procedure=proc, **_basis_values(b, i))
                                        for i, b in enumerate(data.legal_bases)])
    else:
        if _sync_children(
            list(proc.components.all()), data.components, model_key=lambda c: c.code, item_key=lambda i: i.code,
            values=_component_values, create=lambda v: ProcedureComponent.objects.create(procedure=proc, **v),
            what="thành phần hồ sơ",
        ):
            changed.append("components")
        if _sync_children(
            list(proc.fees.all()), data.fees, model_key=_fee_key, item_key=lambda i: i.key, values=_fee_values,
            create=lambda v: ProcedureFee.objects.create(procedure=proc, **v), what="khoản phí",
        ):
            changed.append("fees")
        if _sync_children(
            list(proc.results.all()), data.results, model_key=lambda r: r.code or fold(r.name),
            item_key=lambda i: i.key, values=_result_values,
            create=lambda v: ProcedureResult.objects.create(procedure=proc, **v), what="kết quả",
        ):
            changed.append("results")
        if _sync_children(
            list(proc.legal_bases.all()), data.legal_bases, model_key=lambda b: fold(b.document),
            item_key=lambda i: fold(i.document), values=_basis_values,
            create=lambda v: LegalBasis.objects.create(procedure=proc, **v), what="căn cứ pháp lý",
        ):
            changed.append("legal_bases")

    new_version: ProcessVersion | None = None
    if data.process is not None:
        latest = None if created else _latest_version(procedure)
        if latest is None or _steps_signature(data.process.steps) != _version_signature(latest):
            new_version = process_version_create(
                procedure=procedure, steps=data.process.steps,
                valid_from=data.process.valid_from or timezone.localdate(), note=data.process.note, actor=actor,
            )
            changed.append("process")

    status = "created" if created else ("updated" if changed else "unchanged")
    if status != "unchanged":
        audit_record(
            action=f"procedure.{status}", actor=actor, obj=procedure,
            summary={"code": procedure.code, "changed": [] if created else changed},
        )
    return UpsertOutcome(procedure=procedure, status=status, new_version=new_version, changed=changed)


@transaction.atomic
def procedure_upsert(*, data: ProcedureIn, actor: Any = None) -> Procedure:
    """Create or update one TTHC with its components, fees, results, legal bases and (when
    given) its internal process — a changed process becomes a new :class:`ProcessVersion`.
    Raises ValidationFailed (unknown agency or field...) or Conflict; nothing is written then."""
    return _apply(data, actor=actor, batch=_Batch.load([data.code]), strict_agencies=True).procedure


# --- process versions ------------------------------------------------------------------------------------


def _step_dict(step: ProcessStep) -> dict[str, Any]:
    return {"code": step.code, "name": step.name, "role": step.role, "agency_kind": step.agency_kind,
            "duration_amount": step.duration_amount, "duration_unit": step.duration_unit,
            "allowed_actions": list(step.allowed_actions or [])}


def _steps_signature(steps: Sequence[StepIn]) -> list[tuple[Any, ...]]:
    return [(s.code, s.name, s.role, s.agency_kind, Decimal(s.duration_amount).quantize(_CENT), s.duration_unit,
             tuple(s.allowed_actions)) for s in steps]


def _version_signature(version: ProcessVersion) -> list[tuple[Any, ...]]:
    steps = sorted(version.steps.all(), key=lambda s: s.order)
    return [(s.code, s.name, s.role, s.agency_kind, Decimal(s.duration_amount).quantize(_CENT), s.duration_unit,
             tuple(s.allowed_actions or [])) for s in steps]


@transaction.atomic
def process_version_create(
    *,
    procedure: Procedure,
    steps: Sequence[StepIn | dict[str, Any]],
    valid_from: dt.date,
    note: str = "",
    actor: Any = None,
) -> ProcessVersion:
    """Quy trình nội bộ, new version ``n+1`` in force from ``valid_from``. Step durations must
    add up to the procedure's time limit; earlier versions are left exactly as they are."""
    try:
        parsed = [s if isinstance(s, StepIn) else StepIn.model_validate(s) for s in steps]
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in loc), "message": msg} for loc, msg in errors_vi(exc)]
        raise ValidationFailed("Bước quy trình không hợp lệ: " + details[0]["message"], details=details) from None
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    try:
        check_steps_fit(parsed, time_amount=procedure.time_limit_amount, time_unit=procedure.time_limit_unit)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    latest = process_version_latest(procedure)
    if latest is not None and valid_from < latest.valid_from:
        raise ValidationFailed(
            f"Quy trình mới phải có hiệu lực từ {latest.valid_from:%d/%m/%Y} trở đi "
            f"(phiên bản {latest.version} đang áp dụng từ ngày đó)."
        )
    version = ProcessVersion.objects.create(
        procedure=procedure, version=(latest.version + 1) if latest else 1, valid_from=valid_from, note=note
    )
    ProcessStep.objects.bulk_create([
        ProcessStep(process=version, order=i, code=s.code, name=s.name, role=s.role, agency_kind=s.agency_kind,
                    duration_amount=s.duration_amount, duration_unit=s.duration_unit,
                    allowed_actions=list(s.allowed_actions))
        for i, s in enumerate(parsed, start=1)
    ])
    audit_record(
        action="process_version.created", actor=actor, obj=version,
        summary={"code": procedure.code, "version": version.version, "valid_from": valid_from.isoformat(),
                 "steps": len(parsed)},
    )
    return version


# --- import ----------------------------------------------------------------------------------------------


@dataclass
class ImportProblem:
    """One thing to fix, located the way the official sees the file."""

    row: int
    field: str
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = f"Trang «{self.sheet}», dòng {self.row}" if self.sheet else f"Dòng {self.row}"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class ImportReport:
    path: str
    fmt: str
    dry_run: bool
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_process_versions: int = 0
    errors: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_vi(self) -> str:
        if not self.ok:
            return f"Tệp có {len(self.errors)} lỗi; không nhập thủ tục nào."
        verb = "Kiểm tra (không ghi)" if self.dry_run else "Đã nhập"
        return (f"{verb}: {self.rows} thủ tục — thêm mới {len(self.created)}, cập nhật {len(self.updated)}, "
                f"không đổi {len(self.unchanged)}, quy trình mới {self.new_process_versions}.")


class _Rollback(Exception):
    pass


def _column_for(raw: importers.RawProcedure, fmt: str, loc: tuple[str | int, ...]) -> tuple[int, str | None, str]:
    """Turn a pydantic location into (row, sheet, field) as the official sees it."""
    if not loc:
        return raw.row, raw.sheet, ""
    names = [str(p) for p in loc]
    top = names[0]
    if fmt == "json":
        pretty = "".join(f"[{int(p) + 1}]" if isinstance(p, int) else (f".{p}" if i else str(p))
                         for i, p in enumerate(loc))
        return raw.row, None, pretty
    list_field = "process.steps" if names[:2] == ["process", "steps"] else top
    if list_field in importers.ITEM_PARTS:
        index_pos = 2 if list_field == "process.steps" else 1
        if len(loc) > index_pos and isinstance(loc[index_pos], int):
            index = loc[index_pos]
            origins = raw.origins.get(list_field, [])
            part_names = {name: part for part, name in importers.ITEM_PARTS[list_field]}
            part = part_names.get(names[index_pos + 1], names[index_pos + 1]) if len(loc) > index_pos + 1 else ""
            if isinstance(index, int) and index < len(origins):
                origin = origins[index]
                if origin.item is None:  # a row of an item sheet
                    return origin.row, origin.sheet, part
                column = f"{origin.column} (mục {origin.item})"
                return origin.row, origin.sheet, f"{column}.{part}" if part else column
    key = ".".join(names[:2]) if top == "process" and len(names) > 1 else top
    return raw.row, raw.sheet, importers.FIELD_TO_COLUMN.get(key, key)


def _validate_rows(raws: list[importers.RawProcedure], fmt: str, batch: _Batch
                   ) -> tuple[list[tuple[importers.RawProcedure, ProcedureIn]], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    valid: list[tuple[importers.RawProcedure, ProcedureIn]] = []
    seen_codes: dict[str, int] = {}
    known_fields: set[str] = set()
    for raw in raws:
        for origin, message in raw.problems:
            problems.append(ImportProblem(origin.row, origin.column + (f" (mục {origin.item})" if origin.item else ""),
                                          message, origin.sheet))
        if raw.code:
            if raw.code in seen_codes:
                problems.append(ImportProblem(
                    raw.row, "ma_tthc" if fmt != "json" else "code",
                    f"Mã TTHC «{raw.code}» đã có ở dòng {seen_codes[raw.code]}.", raw.sheet))
                continue
            seen_codes[raw.code] = raw.row
        try:
            data = ProcedureIn.model_validate(raw.data)
        except ValidationError as exc:
            for loc, message in errors_vi(exc):
                row, sheet, column = _column_for(raw, fmt, loc)
                problems.append(ImportProblem(row, column, message, sheet))
            continue
        for name, message in _db_problems(data, batch, strict_agencies=True, known_fields=known_fields):
            row, sheet, column = _column_for(raw, fmt, tuple(name.split(".")))
            problems.append(ImportProblem(row, column, message, sheet))
        if data.field_name:
            known_fields.add(data.field_code)
        valid.append((raw, data))
    return valid, problems


def procedures_import(*, path: Path, actor: Any = None, dry_run: bool = False) -> ImportReport:
    """Import a JSON, CSV or XLSX catalog file (formats: :mod:`chinhquyenso.procedures.importers`).
    Every row is validated first; if any is bad the report lists the errors (row, column,
    Vietnamese message) and nothing is written. ``dry_run`` runs the whole import and rolls it back."""
    path = Path(path)
    try:
        fmt, raws = importers.read_file(path)
    except importers.FileFormatError as exc:
        report = ImportReport(path=str(path), fmt=path.suffix.lstrip(".").lower(), dry_run=dry_run)
        report.errors.append(ImportProblem(0, "", str(exc)))
        return report
    report = ImportReport(path=str(path), fmt=fmt, dry_run=dry_run, rows=len(raws))
    if not raws:
        report.errors.append(ImportProblem(0, "", "Tệp không có thủ tục nào."))
        return report
    try:
        with transaction.atomic():
            batch = _Batch.load(raw.code for raw in raws if raw.code)
            valid, problems = _validate_rows(raws, fmt, batch)
            if problems:
                report.errors = problems
                raise _Rollback
            for raw, data in valid:
                try:
                    outcome = _apply(data, actor=actor, batch=batch, strict_agencies=True)
                except DomainError as exc:
                    report.errors.append(ImportProblem(raw.row, "", exc.message, raw.sheet))
                    raise _Rollback from None
                getattr(report, outcome.status).append(outcome.procedure.code)
                report.new_process_versions += 1 if outcome.new_version else 0
            audit_record(
                action="procedures.imported", actor=actor, object_type="procedures.procedure", object_id="*",
                summary={"file": path.name, "format": fmt, "created": len(report.created),
                         "updated": len(report.updated), "unchanged": len(report.unchanged),
                         "new_process_versions": report.new_process_versions},
            )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if not report.ok:
        report.created, report.updated, report.unchanged, report.new_process_versions = [], [], [], 0
    return report


@transaction.atomic
def procedures_load_demo(*, actor: Any = None) -> int:
    """Load (or refresh) the An Giang demo catalog; idempotent. Agencies that are not loaded
    yet are skipped rather than refused, so the catalog loads before or after the units.
    Returns the number of procedures in the file."""
    _fmt, raws = importers.read_file(DEMO_PATH)
    batch = _Batch.load(raw.code for raw in raws)
    for raw in raws:
        _apply(ProcedureIn.model_validate(raw.data), actor=actor, batch=batch, strict_agencies=False)
    return len(raws)


@transaction.atomic
def procedure_record_admin_change(*, procedure: Procedure, actor: Any, created: bool, what: str = "") -> None:
    """Audit row for a change made in the admin (the admin itself saves the form)."""
    audit_record(
        action="procedure.created" if created else "procedure.updated", actor=actor, obj=procedure,
        summary={"code": procedure.code, "via": "admin", "what": what},
    )
