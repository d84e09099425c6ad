"""Autosave under concurrency: 8 processes × 500 saves against one database, conflicts included.

The writers and the check are tests/writers.py's (the concurrency tests run them too): each
writer process saves verbatim answers as an interviewer's autosave does, half of them to
answers every writer shares so that conflicts happen on purpose; every acknowledged save and
every conflict is logged, and afterwards the database is checked against the logs:

    python benchmarks/concurrency.py [--workers 8] [--saves 500] [--database-url URL]

On PostgreSQL, give a database of its own whose name contains "bench" (it is emptied).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.writers import Outcome, run_writers, verify  # noqa: E402


def latency_figures(outcome: Outcome) -> dict[str, float]:
    samples = sorted(a["ms"] for a in outcome.acks)
    if not samples:
        return {"saves_per_s": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    return {
        "saves_per_s": len(samples) / outcome.seconds,
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        "max_ms": samples[-1],
    }


def answers_in_conflict(outcome: Outcome) -> int:
    return len({(c["interview"], c["variable"]) for c in outcome.conflicts})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--saves", type=int, default=500, help="saves per writer")
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    args = parser.parse_args()

    from benchmarks.aggregate import fresh_engine, own_database

    with tempfile.TemporaryDirectory() as folder:
        url = (
            own_database(args.database_url)
            if args.database_url
            else (f"sqlite:///{Path(folder) / 'concurrency.sqlite3'}")
        )
        fresh_engine(url).dispose()
        load = os.getloadavg()[0]
        outcome = run_writers(url, args.workers, args.saves, Path(folder))
        checked = verify(url, outcome)
    figures = latency_figures(outcome)
    backend = url.split(":", 1)[0].split("+", 1)[0]
    lost = len(checked.lost)
    print(
        f"Autosave under concurrency on {backend}: {args.workers} writer processes × "
        f"{args.saves} saves (load average {load:.1f} → {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  attempted {outcome.attempted:,}: persisted {len(outcome.acks):,}, "
        f"conflicts {len(outcome.conflicts):,} (on {answers_in_conflict(outcome)} "
        f"answers), errors {len(outcome.errors)}, lost {lost}"
    )
    print(
        f"  history rows {checked.history_rows:,} (one per persisted save: "
        f"{'yes' if checked.history_rows == len(outcome.acks) else 'NO'}); phantom "
        f"{len(checked.phantom)}, duplicate versions {len(checked.duplicate_versions)}, "
        f"conflicts stored {len(checked.conflicts_persisted)}, final values wrong "
        f"{len(checked.final_mismatches)}"
    )
    print(
        f"  {figures['saves_per_s']:.0f} saves/s over {outcome.seconds:.1f} s; save latency "
        f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
        f"max {figures['max_ms']:.1f} ms"
    )
    for error in outcome.errors[:20]:
        print(f"  error: {error}", file=sys.stderr)
    accounted = len(outcome.acks) + len(outcome.conflicts) == outcome.attempted
    clean = not (
        outcome.errors
        or lost
        or checked.phantom
        or checked.duplicate_versions
        or checked.conflicts_persisted
        or checked.final_mismatches
    )
    return 0 if accounted and clean else 1


if __name__ == "__main__":
    sys.exit(main())
