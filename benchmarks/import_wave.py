"""Speed and memory of importing a wave: `survey_cli.py import` of one CSV file of N completed
interviews into a wave of N councils with no answers yet, against the benchmark's bulk loader
(`benchmarks/aggregate.py`'s `fill`) writing the same N interviews' answers straight into an
empty database. Each is a whole process, timed with its peak memory, in turn in one run.

    python benchmarks/import_wave.py [--sizes 1000,10000,100000] [--database-url URL]

The file's rows are drawn as `aggregate.py` draws them (500 interviews, reused in turn,
exported by `services.export` so that every cell is as a real export writes it). The import
writes more than the loader: each answer's history, the audit log (a row per interview for its
closed answers and one for its free text), interview statuses and details, and the counters.
After each import the wave's answers are counted, and its counters checked against the
reference count. Targets: the import within 3x the loader's time, under 300 MB at its peak.

The database is the benchmark's own: a temporary SQLite file by default; with
`--database-url` (PostgreSQL, a database whose name contains "bench") its public schema is
DROPPED with everything in it and re-created, per size.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.aggregate import (  # noqa: E402
    BENCH,
    SCHEDULE_TEXT,
    TEMPLATES,
    WAVE,
    fill,
    fresh_engine,
    own_database,
    respondents,
    sizes_arg,
)
from benchmarks.cli_start import run  # noqa: E402
from db.counters import rebuild  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.models import Answer, Council, Interview, Wave  # noqa: E402
from instrument import DEFAULT_INSTRUMENT  # noqa: E402
from instrument.loader import schedule_sha256  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 100_000)
TARGET_TIME = 3.0  # the import within this many times the bulk loader's time
TARGET_MB = 300


def load(url: str, n: int) -> None:
    """The bulk loader, as a process of its own: N completed interviews' answers."""
    fill(fresh_engine(emptied(url)), n)


def emptied(url: str) -> str:
    """The URL, its SQLite file removed first (`fresh_engine` empties a PostgreSQL one)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return url


def prepare(url: str, n: int, path: Path) -> None:
    """An empty wave of N councils (no answers yet), and the file of N completed interviews
    to import into it, written a row at a time."""
    from services.export import export_rows

    with tempfile.TemporaryDirectory() as scratch:  # the drawn interviews, exported
        source = fresh_engine(f"sqlite:///{scratch}/templates.sqlite3")
        fill(source, TEMPLATES)
        with Session(source) as session:
            header, templates = export_rows(
                session, actor=BENCH, wave_key=WAVE, include_unvalidated=True
            )
        source.dispose()
    engine = fresh_engine(emptied(url))
    with engine.begin() as connection:
        wave_id = connection.execute(
            insert(Wave).values(key=WAVE, title="Benchmark", instrument=DEFAULT_INSTRUMENT,
                                instrument_text=SCHEDULE_TEXT,
                                instrument_sha256=schedule_sha256(SCHEDULE_TEXT))
        ).inserted_primary_key[0]  # fmt: skip
        councils = respondents(connection, n)
        connection.execute(
            insert(Interview),
            [{"wave_id": wave_id, "council_id": c, "status": "not_contacted", "version": 1,
              "updated_at": dt.datetime(2011, 12, 1)} for c in councils],
        )  # fmt: skip
        rebuild(connection, wave_id)  # its counters, as the migration that made them would
        named = {c.id: (c.code, c.name) for c in connection.execute(
            select(Council.id, Council.code, Council.name))}  # fmt: skip
    code, name = header.index("council_code"), header.index("council_name")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for k, council_id in enumerate(councils):
            row = list(templates[k % len(templates)])
            row[code], row[name] = named[council_id]
            writer.writerow(row)
    engine.dispose()


def check(url: str) -> str:
    """What the import left: its answers, and whether the counters equal the reference."""
    engine = make_engine(url)
    with engine.begin() as connection:
        answers = connection.scalar(select(func.count()).select_from(Answer))
        wave_id = connection.scalar(select(Wave.id).where(Wave.key == WAVE))
        drift = rebuild(connection, wave_id)
    engine.dispose()
    return f"{answers:,} answers, counters {'agree' if not drift.drifted else 'DRIFTED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=sizes_arg, default=list(DEFAULT_SIZES))
    parser.add_argument("--database-url", type=own_database)
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)  # the loader's own process
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load is not None:
        load(args.url, args.load)
        return 0
    print(f"{'N':>8} {'database':>10} {'loader':>9} {'MB':>5} {'import':>9} {'MB':>5} "
          f"{'ratio':>6}  after the import")  # fmt: skip
    met = True
    with tempfile.TemporaryDirectory() as scratch:
        for n in args.sizes:
            for url in filter(None, (f"sqlite:///{scratch}/bench.sqlite3", args.database_url)):
                name = url.split(":")[0].split("+")[0]
                env = {**os.environ, "DATABASE_URL": url}
                me = [sys.executable, __file__]
                loaded, loaded_mb = run([*me, "--load", str(n), "--url", url], env)
                path = Path(scratch) / "wave.csv"
                prepare(url, n, path)
                command = [sys.executable, "survey_cli.py", "import", str(path), "--wave", WAVE]
                took, took_mb = run(command, env)
                ratio = took / loaded
                met &= ratio <= TARGET_TIME and took_mb <= TARGET_MB
                print(f"{n:>8,} {name:>10} {loaded / 1000:>8.1f}s {loaded_mb:>5} "
                      f"{took / 1000:>8.1f}s {took_mb:>5} {ratio:>5.2f}x  {check(url)}",
                      flush=True)  # fmt: skip
    print(f"targets: import within {TARGET_TIME:g}x the loader, under {TARGET_MB} MB: "
          + ("met" if met else "MISSED"))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
