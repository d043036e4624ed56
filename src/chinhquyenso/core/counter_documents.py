"""Document sources for the one-stop counter (giấy tờ tái sử dụng tại quầy Một cửa).

The counter form lives in ``dossiers``; the places that keep documents a person already gave
(the citizen's electronic store in ``citizens``, and later perhaps other registries) sit above
it. Such an app registers a *source* here in its ``AppConfig.ready``; ``dossiers`` only talks to
this registry, so it never imports the app above it.

The protocol, from the counter's side:

1. the receipt page shows one link per source (:func:`sources`, ``source.start_url``): the
   source's own page where the officer finds the person and records their consent;
2. the source sends the officer back to the receipt page with opaque references
   ``"<source name>:<key>"`` (query parameter ``tai_lieu``, repeated);
3. the receipt form calls :func:`documents` to turn the references into files for components
   (a reference that was not released to *this* officer, or was used already, is refused:
   :class:`~chinhquyenso.core.errors.NotFound`), and :func:`applicant` to prefill the applicant;
4. inside the transaction that receives the dossier, :func:`attach` tells each source which
   dossier its references went into (the source locks them, so a reference is used once; a
   refusal rolls the receipt back).

A component filled from a source is recorded with ``reused=True`` (TaiLieuNop.DuocTaiSuDung) and
the source's file (content-addressed: the same ``StoredFile`` row, no copy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chinhquyenso.core.errors import NotFound

#: Query/form parameter that carries the references back to the counter form.
PARAM = "tai_lieu"
#: At most this many references in one receipt (a procedure has a handful of components).
MAX_REFS = 30


@dataclass(frozen=True)
class CounterDocument:
    """A document a source released for one component of the dossier being received."""

    ref: str
    procedure_component_id: int
    name: str
    file: Any  # files.StoredFile
    note: str = ""  # shown next to the component, e.g. "Kho giấy tờ của …, đồng ý lúc …"


@dataclass(frozen=True)
class CounterApplicant:
    """What a source knows about the person at the counter, to prefill the applicant fields."""

    name: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""


class CounterDocumentSource(Protocol):
    label: str

    def start_url(self, *, procedure_code: str) -> str: ...

    def documents(self, *, officer: Any, keys: Sequence[str]) -> list[CounterDocument]: ...

    def applicant(self, *, officer: Any, keys: Sequence[str]) -> CounterApplicant | None: ...

    def attach(self, *, officer: Any, keys: Sequence[str], dossier: Any) -> None: ...


_sources: dict[str, CounterDocumentSource] = {}


def register(name: str, source: CounterDocumentSource) -> None:
    """Add (or replace, by name) a source; ``name`` is the prefix of its references."""
    if not name or ":" in name:
        raise ValueError("counter document source name must be non-empty and without ':'")
    _sources[name] = source


def unregister(name: str) -> None:
    _sources.pop(name, None)


def sources() -> list[tuple[str, CounterDocumentSource]]:
    return sorted(_sources.items())


def _grouped(refs: Sequence[str]) -> dict[str, list[str]]:
    """``{source name: [keys]}``; an unknown source, a malformed or repeated reference → NotFound."""
    if len(refs) > MAX_REFS:
        raise NotFound("Quá nhiều giấy tờ tái sử dụng trong một hồ sơ.", code="reuse_ref_invalid")
    groups: dict[str, list[str]] = {}
    seen: set[str] = set()
    for ref in refs:
        name, _sep, key = (ref or "").partition(":")
        if not key or name not in _sources or ref in seen or len(ref) > 100:
            raise NotFound("Giấy tờ tái sử dụng không hợp lệ hoặc đã được dùng.", code="reuse_ref_invalid")
        seen.add(ref)
        groups.setdefault(name, []).append(key)
    return groups


def documents(*, officer: Any, refs: Sequence[str]) -> list[CounterDocument]:
    """The documents behind ``refs``, in the order given; NotFound if any is not for this officer."""
    found: dict[str, CounterDocument] = {}
    for name, keys in _grouped(refs).items():
        for doc in _sources[name].documents(officer=officer, keys=keys):
            found[doc.ref] = doc
    missing = [ref for ref in refs if ref not in found]
    if missing:
        raise NotFound("Giấy tờ tái sử dụng không hợp lệ hoặc đã được dùng.", code="reuse_ref_invalid")
    return [found[ref] for ref in refs]


def applicant(*, officer: Any, refs: Sequence[str]) -> CounterApplicant | None:
    """The first applicant a source can tell for these references (None: nothing to prefill)."""
    for name, keys in _grouped(refs).items():
        found = _sources[name].applicant(officer=officer, keys=keys)
        if found is not None:
            return found
    return None


def attach(*, officer: Any, refs: Sequence[str], dossier: Any) -> None:
    """Inside the receipt's transaction: each source records that its references went into ``dossier``."""
    for name, keys in _grouped(refs).items():
        _sources[name].attach(officer=officer, keys=keys, dossier=dossier)
