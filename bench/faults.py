"""The issue-6 fault campaign at full size: 2,000 dossiers with random lifecycles, a failing and slow
mock national portal, an outage, and a delivery worker killed with SIGKILL mid-batch — on SQLite and on
PostgreSQL, each in a fresh database.

    PYTHONPATH=. python -m bench.faults [--db sqlite|postgresql|both] [--dossiers 2000] [--seed S]

Prints, per database: dossiers, events, delivery attempts, duplicates applied (must be 0), order
violations (must be 0), state mismatches (must be 0), dead letters (must be 0), the killed worker's
claims taken over, and the duration. Exits 1 when any check fails. The campaign itself is
``tests/integration/campaign.py`` (the same code ``make test`` runs at a small size).

``--inner`` runs the campaign in this process on the database the environment names (used by the outer
run and by the SQLite test, which need a process whose Django settings point at the fresh database).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from bench.common import cli, database, machine

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEED = 20250917


def inner(args: argparse.Namespace) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyenso.settings")
    django.setup()
    from tests.integration.campaign import run_campaign

    log_dir = Path(tempfile.mkdtemp(prefix="cqs-faults-"))
    result = run_campaign(dossiers=args.dossiers, seed=args.seed, time_limit=args.time_limit, log_dir=log_dir,
                          progress=(lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else None)
    data = asdict(result)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 1 if result.problems else 0


def outer(args: argparse.Namespace) -> int:
    print(f"bench.faults on {machine()}")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failed = False
    for kind in kinds:
        with database(kind, f"faults_{os.getpid()}") as env:
            cli(env, "migrate", "--noinput")
            out = Path(env["CHINHQUYENSO_DATA_DIR"]) / "result.json"
            cmd = [sys.executable, "-m", "bench.faults", "--inner", "--dossiers", str(args.dossiers), "--seed",
                   str(args.seed), "--time-limit", str(args.time_limit), "--json", str(out)]
            if args.verbose:
                cmd.append("--verbose")
            proc = subprocess.run(cmd, env={**env, "PYTHONPATH": str(REPO)}, cwd=str(REPO), check=False)
            if not out.exists():
                print(f"[{kind}] campaign crashed (exit {proc.returncode})")
                failed = True
                continue
            r = json.loads(out.read_text(encoding="utf-8"))
        print(f"[{kind}] {r['dossiers']} dossiers, {r['events']} events/messages, {r['attempts']} delivery attempts "
              f"({r['attempts'] / max(1, r['messages']):.2f} per message) by {r['worker_ids']} workers")
        print(f"[{kind}] duplicates applied {r['duplicates_applied']} (replays acknowledged, not applied: "
              f"{r['duplicates_acknowledged']}), order violations {r['order_violations']}, state mismatches "
              f"{r['state_mismatches']}, dead letters {r['dead']}")
        print(f"[{kind}] SIGKILL: {r['killed_claims']} claims held by the killed worker, "
              f"{r['killed_claims_taken_over']} taken over and delivered; faults injected {r['faults']}")
        print(f"[{kind}] actions {r['actions']}; duration {r['duration_seconds']:.0f} s "
              f"({', '.join(f'{k} {v:.0f}s' for k, v in r['timings'].items())})")
        if r["problems"]:
            failed = True
            print(f"[{kind}] FAILED:\n  " + "\n  ".join(r["problems"]))
        else:
            print(f"[{kind}] converged: every dossier's latest state at the mock equals ours")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--dossiers", type=int, default=int(os.environ.get("BENCH_FAULT_DOSSIERS", "2000")))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--time-limit", type=float, default=7200.0, help="seconds before the campaign gives up")
    parser.add_argument("--verbose", action="store_true", help="progress on stderr")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    code = inner(args) if args.inner else outer(args)
    if code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
