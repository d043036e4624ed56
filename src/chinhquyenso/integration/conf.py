"""Delivery policy knobs, read from the environment (12-factor) with safe defaults.

They live here, not in settings.py, so the integration app is self-contained; tests pass a
:class:`DeliveryPolicy` explicitly instead of patching the environment.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _env_int(name: str, default: int) -> int:
    return int(_env_float(name, default))


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard the worker tries, and when it gives up.

    - Backoff: full jitter, ``delay = uniform(0, min(backoff_max, backoff_base * 2 ** (attempts - 1)))``.
    - Dead letter: after ``max_attempts`` failed attempts, or once the message is older than
      ``max_age_seconds`` (counted from enqueue or from the last manual retry), or at once when the
      portal rejects the content (``rejected``: retrying the same bytes cannot help).
    - Circuit breaker: opens after ``circuit_failures`` consecutive endpoint failures, lets one probe
      through after ``circuit_cooldown_seconds``.
    - Claims: a claimed message becomes claimable again after ``claim_seconds`` (extended to cover
      the batch's worst case), so a worker killed with SIGKILL loses nothing.
    """

    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 900.0
    max_attempts: int = 12
    max_age_seconds: float = 3 * 24 * 3600.0
    circuit_failures: int = 5
    circuit_cooldown_seconds: float = 30.0
    claim_seconds: float = 120.0
    concurrency: int = 4
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def from_env(cls) -> DeliveryPolicy:
        return cls(
            backoff_base_seconds=_env_float("CHINHQUYENSO_OUTBOX_BACKOFF_BASE_SECONDS", 2.0),
            backoff_max_seconds=_env_float("CHINHQUYENSO_OUTBOX_BACKOFF_MAX_SECONDS", 900.0),
            max_attempts=_env_int("CHINHQUYENSO_OUTBOX_MAX_ATTEMPTS", 12),
            max_age_seconds=_env_float("CHINHQUYENSO_OUTBOX_MAX_AGE_SECONDS", 3 * 24 * 3600.0),
            circuit_failures=_env_int("CHINHQUYENSO_OUTBOX_CIRCUIT_FAILURES", 5),
            circuit_cooldown_seconds=_env_float("CHINHQUYENSO_OUTBOX_CIRCUIT_COOLDOWN_SECONDS", 30.0),
            claim_seconds=_env_float("CHINHQUYENSO_OUTBOX_CLAIM_SECONDS", 120.0),
            concurrency=max(1, _env_int("CHINHQUYENSO_OUTBOX_CONCURRENCY", 4)),
        )

    def backoff_seconds(self, attempts: int) -> float:
        """Full jitter (AWS architecture blog): spreads retries of many messages over the window."""
        cap = min(self.backoff_max_seconds, self.backoff_base_seconds * (2 ** max(0, attempts - 1)))
        return self.rng.uniform(0.0, cap)
