"""``python -m bench`` (``make bench``): run every benchmark in turn."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["bench.intake", "bench.sync", "bench.faults", "bench.import", "bench.scorecard", "bench.inbox"]


def main() -> None:
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        sys.argv = [name]
        module.main()


if __name__ == "__main__":
    main()
