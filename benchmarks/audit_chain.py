"""Cost of the audit log's hash chain: walking it (`audit verify`, the Audit log page, every
restore) at N rows, and one chained append (`services.audit.record` and commit) at that size.

    python benchmarks/audit_chain.py [--sizes 1000,10000,100000] [--repeats 3]
                                     [--database-url URL]

The log is filled directly with correctly chained rows (computed with `db.audit_chain`, as
`record` computes them), since what is measured is the walk and the append, not the fill.
The database is the benchmark's own: a temporary SQLite file per size by default; with
`--database-url` (PostgreSQL, a database whose name contains "bench") everything in it is
dropped, per size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.aggregate import fresh_engine, own_database  # noqa: E402
from benchmarks.timing import percentile, timed  # noqa: E402
from db.audit_chain import GENESIS, row_hash  # noqa: E402
from db.models import AuditEvent, utcnow  # noqa: E402
from services.actor import Actor  # noqa: E402
from services.audit import record  # noqa: E402
from services.audit_log import verify_chain  # noqa: E402

ADMIN = Actor("benchmark", "admin")
BATCH = 5_000


def fill(engine: Engine, n: int) -> None:
    """n chained rows, a typical answer change each."""
    previous, batch = GENESIS, []
    with Session(engine) as session:
        for i in range(1, n + 1):
            row = dict(id=i, at=utcnow(), username="ilona", role="interviewer",
                       action="answer.value", target=f"2011 S12000047 Fife q{i % 40}",
                       old_value="no", new_value="yes", reason=None)  # fmt: skip
            row["prev_hash"], row["row_hash"] = previous, row_hash(row, previous)
            previous = row["row_hash"]
            batch.append(row)
            if len(batch) == BATCH or i == n:
                session.execute(insert(AuditEvent), batch)
                batch = []
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), :n)"),
                            {"n": n})  # fmt: skip
        session.commit()


def append(engine: Engine) -> None:
    with Session(engine) as session:
        record(session, actor=ADMIN, action="note", target="benchmark")
        session.commit()


def verify(engine: Engine) -> None:
    with Session(engine) as session:
        assert verify_chain(session, actor=ADMIN).intact


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    print("rows | verify s (median) | rows/s | append ms p50 | append ms p95")
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(size) for size in args.sizes.split(",")):
            url = own_database(args.database_url) if args.database_url else (
                f"sqlite:///{Path(folder) / f'audit{n}.sqlite3'}"
            )  # fmt: skip
            engine = fresh_engine(url)
            fill(engine, n)
            seconds = statistics.median(timed(lambda e=engine: verify(e), args.repeats)) / 1000
            appends = timed(lambda e=engine: append(e), 50)
            print(f"{n:,} | {seconds:.2f} | {n / seconds:,.0f} | "
                  f"{percentile(appends, 50):.1f} | {percentile(appends, 95):.1f}")  # fmt: skip
            verify(engine)  # the appends kept the chain whole
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
