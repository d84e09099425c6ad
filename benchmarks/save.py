"""What keeping the counters costs a save: `save_answer` with the counters kept, against the
same save with their session events taken off, alternating in one run.

Two interviews: one in progress (the counters move only with a status, so a save reads the
interview twice and writes nothing more) and one completed (each save moves a value from one
counter to another). Each save is its own transaction, as the keying panel's autosave is.

    python benchmarks/save.py [--repeats 200] [--database-url URL]

The runs without the counters leave them wrong; the database is the benchmark's own (a
throwaway SQLite file, or with `--database-url` a PostgreSQL database whose name contains
"bench": its public schema is dropped and re-created).
Target: a save with the counters no more than 10% slower at p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.aggregate import fresh_engine, own_database  # noqa: E402
from benchmarks.timing import percentile, timed  # noqa: E402
from db import counters  # noqa: E402
from db.models import Council, Interview  # noqa: E402
from services.actor import Actor  # noqa: E402
from services.answers import save_answer  # noqa: E402
from services.interviews import complete_interview, update_details  # noqa: E402
from tests.answering import answer_everything  # noqa: E402

TARGET_RATIO = 1.10
BENCH = Actor("benchmark", "interviewer")
COMPLETED, IN_PROGRESS = "S12000047", "S12000041"  # Fife, Angus
VARIABLE = "q25_reduction_2011_12"  # asked of everyone; no question is routed by it
LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("before_flush", counters._note_before),
    ("after_flush", counters._note_added),
    ("before_commit", counters._apply_at_commit),
    ("after_transaction_end", counters._forget),
)


def counters_kept(on: bool) -> None:
    """Put the counters' session events on, or take them off."""
    for name, listener in LISTENERS:
        if event.contains(Session, name, listener) != on:
            (event.listen if on else event.remove)(Session, name, listener)


def prepare(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Both interviews answered throughout, with a role; Fife completed."""
    ids = {}
    for code in (COMPLETED, IN_PROGRESS):
        with Session(engine) as s:
            ids[code] = s.scalars(
                select(Interview.id).join(Council).where(Council.code == code)
            ).one()
            answer_everything(s, BENCH, ids[code])
        with Session(engine) as s:
            update_details(s, actor=BENCH, interview_id=ids[code], respondent_role="other",
                           interview_date=dt.date(2026, 11, 2))  # fmt: skip
    with Session(engine) as s:
        complete_interview(s, actor=BENCH, interview_id=ids[COMPLETED])
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        url = own_database(args.database_url) if args.database_url else url
        engine = fresh_engine(url)
        ids = prepare(engine)
        values = {code: iter(("no", "yes") * (4 * args.repeats)) for code in ids}

        def save(code: str) -> None:
            with Session(engine) as s:
                save_answer(s, actor=BENCH, interview_id=ids[code], variable_id=VARIABLE,
                            value=next(values[code]))  # fmt: skip

        samples: dict[tuple[str, bool], list[float]] = {}
        for on in (True, False):  # warm both
            counters_kept(on)
            save(COMPLETED)
            save(IN_PROGRESS)
        for _ in range(args.repeats):
            for on in (True, False):
                counters_kept(on)
                for code in ids:
                    samples.setdefault((code, on), []).extend(timed(lambda c=code: save(c), 1))
        counters_kept(True)
        engine.dispose()
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"A save with and without the counters on {backend}, {args.repeats} alternating "
          "rounds (milliseconds)")  # fmt: skip
    print(f"{'interview':<14} {'counters':>9} {'p50':>7} {'p95':>7} {'p95 ratio':>10}")
    worst = 0.0
    for code, name in ((IN_PROGRESS, "in progress"), (COMPLETED, "completed")):
        kept, plain = samples[code, True], samples[code, False]
        ratio = percentile(kept, 95) / percentile(plain, 95)
        worst = max(worst, ratio)
        for on, rows in ((False, plain), (True, kept)):
            shown = f"{ratio:9.2f}x" if on else ""
            print(f"{name:<14} {'kept' if on else 'off':>9} {percentile(rows, 50):7.1f} "
                  f"{percentile(rows, 95):7.1f} {shown:>10}")  # fmt: skip
    verdict = "met" if worst <= TARGET_RATIO else "MISSED"
    print(f"target: p95 with the counters within {TARGET_RATIO:.2f}x: {verdict} ({worst:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
