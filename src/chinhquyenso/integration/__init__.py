"""Tích hợp: reliable sync of every dossier change to the National Public Service Portal (Cổng DVCQG).

Outbox rows are written by a projector in the same transaction as the dossier change; the worker
delivers them at-least-once with an idempotency key, per-dossier ordering, retries, a circuit breaker
and dead letters. See docs/integration.md.
"""
