"""Periodic jobs run by ``chinhquyenso worker``. Apps register them in ``AppConfig.ready``.

Each job is a plain function; the worker calls it when its interval has elapsed and records
failures without stopping. Outbox draining (integration) registers itself here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Job:
    name: str
    func: Callable[[], object]
    every_seconds: float
    last_run: float = field(default=float("-inf"))


_jobs: dict[str, Job] = {}


def register(name: str, func: Callable[[], object], *, every_seconds: float) -> None:
    _jobs[name] = Job(name=name, func=func, every_seconds=every_seconds)


def registered() -> list[Job]:
    return list(_jobs.values())
