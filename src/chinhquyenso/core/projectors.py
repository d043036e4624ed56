"""Projector registry: how apps low in the stack tell apps above them that something happened.

An app that records a domain event (``dossiers``) calls :func:`dispatch` inside its
transaction; apps above it (``indicators``, ``integration``, notifications) register a
projector at start-up in their ``AppConfig.ready``. A projector that raises rolls the whole
change back, so nothing is half-recorded. Nobody below imports anybody above.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Projector = Callable[[Any], None]
_projectors: dict[str, list[tuple[str, Projector]]] = defaultdict(list)


def register(stream: str, name: str, projector: Projector) -> None:
    """Subscribe ``projector`` to every event of ``stream`` (e.g. ``"dossier"``); idempotent by name."""
    entries = _projectors[stream]
    entries[:] = [(n, p) for n, p in entries if n != name]
    entries.append((name, projector))


def dispatch(stream: str, event: Any) -> None:
    for _name, projector in list(_projectors[stream]):
        projector(event)


def registered(stream: str) -> list[str]:
    return [name for name, _ in _projectors[stream]]
