"""The citizen document store as a document source for the one-stop counter.

Registered in :meth:`CitizensConfig.ready` with ``core.counter_documents.register("citizens", …)``.
The officer opens ``/cong-dan/quay/tai-su-dung/?thu_tuc=<procedure>`` from the receipt form, finds
the person's account (ID number of the linked VNeID, phone, e-mail), ticks the documents the person
agrees to reuse, and records the consent (:func:`services.document_reuse_consents_record`). The
page sends the officer back to the receipt form with references ``citizens:<consent id>``:

* :meth:`CitizenStoreSource.documents` releases only consents *this* officer recorded in the last
  ``COUNTER_CONSENT_HOURS`` hours and not used yet, whose document is still valid and still the
  citizen's; a guessed or foreign id is "not found";
* :meth:`CitizenStoreSource.attach` links the consents to the new dossier inside the receipt's
  transaction (:func:`services.document_reuse_consents_attach`, rows locked: one dossier each).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from chinhquyenso.core.counter_documents import CounterApplicant, CounterDocument
from chinhquyenso.core.errors import NotFound

NAME = "citizens"


def _ids(keys: Sequence[str]) -> list[int]:
    try:
        ids = [int(k) for k in keys]
    except (TypeError, ValueError):
        raise NotFound("Giấy tờ tái sử dụng không hợp lệ hoặc đã được dùng.", code="reuse_ref_invalid") from None
    if any(i <= 0 for i in ids):
        raise NotFound("Giấy tờ tái sử dụng không hợp lệ hoặc đã được dùng.", code="reuse_ref_invalid")
    return ids


class CitizenStoreSource:
    label = "Kho giấy tờ của công dân (cần công dân đồng ý)"

    def start_url(self, *, procedure_code: str) -> str:
        return f"{reverse('citizens:counter_reuse')}?{urlencode({'thu_tuc': procedure_code})}"

    def _consents(self, officer: Any, keys: Sequence[str]) -> list[Any]:
        from chinhquyenso.citizens.selectors import counter_consents_released

        today = timezone.localdate()
        rows = counter_consents_released(officer, _ids(keys)).order_by("pk")
        return [c for c in rows
                if c.procedure_component_id is not None and c.document.owner_id == c.citizen_id
                and c.document.is_valid_on(today)]

    def documents(self, *, officer: Any, keys: Sequence[str]) -> list[CounterDocument]:
        from chinhquyenso.procedures.models import ProcedureComponent

        docs = []
        for c in self._consents(officer, keys):
            assert isinstance(c.procedure_component, ProcedureComponent)
            when = timezone.localtime(c.consented_at).strftime("%H:%M %d/%m/%Y")
            docs.append(CounterDocument(
                ref=f"{NAME}:{c.pk}", procedure_component_id=c.procedure_component.pk, name=c.document.name,
                file=c.document.file,
                note=f"Kho giấy tờ của {c.citizen.display_name} · {c.get_method_display()} lúc {when}",
            ))
        return docs

    def applicant(self, *, officer: Any, keys: Sequence[str]) -> CounterApplicant | None:
        from chinhquyenso.citizens.selectors import citizen_national_id

        consents = self._consents(officer, keys)
        if not consents:
            return None
        citizen = consents[0].citizen
        return CounterApplicant(name=citizen.full_name or citizen.display_name, id_number=citizen_national_id(citizen),
                                phone=citizen.phone, email=citizen.email)

    def attach(self, *, officer: Any, keys: Sequence[str], dossier: Any) -> None:
        from chinhquyenso.citizens.services import document_reuse_consents_attach

        document_reuse_consents_attach(officer=officer, consent_ids=_ids(keys), dossier=dossier)
