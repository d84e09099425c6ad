"""Speed of the national results: the full JSON report for N completed interviews.

Fills a throwaway database with N synthetic completed interviews (plausible answers drawn by
`ops.demo`, following the routing, text answers included; 1 in 50 also keeps answers that
routing now skips, as after a parent answer was changed), then times, repeated, medians:

- report: the full JSON report as `survey_cli.py report` makes it, `services.results.load_report`
  (read from the counters kept at save time, `db.counters`) + `aggregation.report.report_json`;
- afresh: the reference count the counters must equal, `wave_counts(reference=True)` (counted
  in the database from the answers, routing in SQL): what the report cost before the counters;
- floor: a hand-written SQL `GROUP BY variable_id, value` over the same closed answers of the
  same completed interviews, fetched to Python, timed as written and with the coded answer
  index's condition added (so the database may read that index instead of the table); the
  faster of the two is the floor. For scale, the same over all variables ("all vars");
- wide: the same JSON from every closed answer read into a wide table, `services.results.
  load_results` + `report_json` (the dashboard's path); checked byte for byte against the
  report at every size;
- long floor: the independent floor, the same closed answers copied into a table of only
  (variable_id, value) with an index on both, counted by `GROUP BY` (checked to give the same
  counts): the least any database needs, whatever the schema;
- pandas: a peer anyone can run, `pandas.read_csv` of the same answers as one wide CSV and a
  `value_counts` per closed question.

    python benchmarks/aggregate.py [--sizes 32,1000,10000,100000] [--repeats 5]
                                   [--database-url URL] [--profile N]

The database is the benchmark's own: a temporary SQLite file per size by default; with
`--database-url` (PostgreSQL, a database whose name contains "bench") its public schema is
DROPPED with everything in it and re-created, per size.
The bulk loader bypasses the services, so the counters are rebuilt after it, as `survey_cli.py
recount` (and the migration that made them) would; that time is printed as "recount".
Targets: the report under 20 ms at every size, and faster than the long-table floor at 10,000
and 100,000 interviews.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
from sqlalchemy import Engine, TextClause, bindparam, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from aggregation.report import report_json  # noqa: E402
from benchmarks.timing import timed  # noqa: E402
from db.bulk import stored_time, write_rows  # noqa: E402
from db.counters import rebuild  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.models import Answer, Council, Interview, Wave  # noqa: E402
from db.setup import initialise  # noqa: E402
from instrument import DEFAULT_INSTRUMENT  # noqa: E402
from instrument.loader import (  # noqa: E402
    instrument_named,
    instrument_text,
    schedule_sha256,
)
from instrument.model import CODED_VALUE_LIMIT  # noqa: E402
from ops.demo import FIELDWORK, INTERVIEWERS, draw, plausible_interview, weekday_in  # noqa: E402
from services.actor import Actor  # noqa: E402
from services.results import load_report, load_results, wave_counts  # noqa: E402

DEFAULT_SIZES = (32, 1_000, 10_000, 100_000)
TARGET_SIZES = (10_000, 100_000)  # the report faster than the long-table floor here
TARGET_REPORT = 0.020  # seconds, at every size
WAVE = "benchmark"
TEMPLATES = 500  # distinct drawn interviews, reused in turn: drawing 100,000 would take minutes
STALE_EVERY = 50  # every 50th keeps answers routing now skips, as after a parent is changed
CHUNK = 5_000  # interviews written per batch
SEED = 2011
SCHEDULE_TEXT = instrument_text(DEFAULT_INSTRUMENT)  # the wave pins it, as every wave does
BENCH = Actor("benchmark", "admin")
INSTRUMENT = instrument_named(DEFAULT_INSTRUMENT)
CLOSED = [v.id for v in INSTRUMENT.closed_questions]


def group_by_sql(*conditions: str) -> TextClause:
    """The hand-written `GROUP BY variable_id, value` over the completed interviews' answers."""
    where = " AND ".join(["i.wave_id = :wave", "i.status = 'completed'", *conditions])
    sql = text(
        "SELECT a.variable_id, a.value, count(*) FROM answer a "
        f"JOIN interview i ON i.id = a.interview_id WHERE {where} "
        "GROUP BY a.variable_id, a.value"
    )
    return sql.bindparams(bindparam("closed", expanding=True)) if ":closed" in where else sql


CLOSED_ANSWERS = ("a.value IS NOT NULL", "a.variable_id IN :closed")
FLOOR_SQL = group_by_sql(*CLOSED_ANSWERS)
CODED_FLOOR_SQL = group_by_sql(*CLOSED_ANSWERS, f"length(a.value) <= {CODED_VALUE_LIMIT}")
ALL_VARIABLES_SQL = group_by_sql()
# The independent floor: the same closed answers copied to a table of their own, nothing but
# (variable, value) and an index on both, so the database counts from the index alone. The
# least any database needs to count them, whatever the schema around them.
LONG_TABLE = "bench_long_answers"
LONG_SQL = text(
    f"SELECT variable_id, value, count(*) FROM {LONG_TABLE} GROUP BY variable_id, value"
)


def build_long_table(engine: Engine, wave_id: int) -> None:
    """The independent floor's table, built from the very rows the report counts."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LONG_TABLE}")
        connection.exec_driver_sql(
            f"CREATE TABLE {LONG_TABLE} (variable_id VARCHAR(80) NOT NULL, value TEXT NOT NULL)"
        )
        connection.execute(
            text(
                f"INSERT INTO {LONG_TABLE} (variable_id, value) SELECT a.variable_id, a.value "
                "FROM answer a JOIN interview i ON i.id = a.interview_id WHERE i.wave_id = :wave "
                "AND i.status = 'completed' AND a.value IS NOT NULL AND a.variable_id IN :closed"
            ).bindparams(bindparam("closed", expanding=True)),
            {"wave": wave_id, "closed": CLOSED},
        )
        connection.exec_driver_sql(
            f"CREATE INDEX ix_{LONG_TABLE} ON {LONG_TABLE} (variable_id, value)"
        )
    settle(engine)


def long_floor(engine: Engine) -> list:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return connection.execute(LONG_SQL).all()


def write_wide_csv(engine: Engine, wave_id: int, path: Path) -> None:
    """The completed interviews' closed answers as one wide CSV (a row per interview, a column
    per closed question), as an analyst's export would hold them, for the pandas peer."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT a.interview_id, a.variable_id, a.value FROM answer a JOIN interview i "
                "ON i.id = a.interview_id WHERE i.wave_id = :wave AND i.status = 'completed' "
                "AND a.value IS NOT NULL AND a.variable_id IN :closed"
            ).bindparams(bindparam("closed", expanding=True)),
            {"wave": wave_id, "closed": CLOSED},
        ).all()
    long = pd.DataFrame(rows, columns=["interview_id", "variable_id", "value"])
    wide = long.pivot(index="interview_id", columns="variable_id", values="value")
    wide.reindex(columns=CLOSED).to_csv(path)


def pandas_counts(path: Path) -> dict[str, pd.Series]:
    """A peer anyone can run: read the wide CSV with pandas and count each closed column."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {column: frame[column].value_counts() for column in CLOSED}


# --- the throwaway database -------------------------------------------------------------------


def fresh_engine(url: str) -> Engine:
    """An initialised database with nothing else in it: on PostgreSQL, the public schema and all
    it holds (tables, and the functions and triggers migrations add) are dropped first."""
    engine = make_engine(url)
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    initialise(engine)
    return engine


def own_database(url: str) -> str:
    """The URL, if its database is plainly a benchmark's (its name says "bench"): it is emptied."""
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(
            f"refusing to empty database {name!r}: the benchmark drops everything in it, so "
            "give it a database of its own whose name contains 'bench' (e.g. survey_bench)"
        )
    return url


def respondents(connection, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Council ids for n respondents: the 32 councils, then synthetic ones (throwaway only),
    all in the councils' frame, as a wave's file names them."""
    real = list(
        connection.scalars(
            select(Council.id).where(Council.frame == "councils").order_by(Council.code)
        )
    )
    extra = n - len(real)
    if extra > 0:
        connection.execute(
            insert(Council),
            [
                {"code": f"X{k:08d}", "name": f"Synthetic respondent {k:05d}"}
                for k in range(1, extra + 1)
            ],
        )
        real += list(
            connection.scalars(
                select(Council.id).where(Council.code.like("X%")).order_by(Council.code)
            )
        )
    return real[:n]


def fill(engine: Engine, n: int) -> tuple[int, int]:
    """N completed interviews in wave `benchmark`; returns (wave id, answer rows written)."""
    rng = random.Random(SEED)
    templates = [plausible_interview(INSTRUMENT, rng) for _ in range(min(n, TEMPLATES))]
    for template in templates[::STALE_EVERY]:
        for v in INSTRUMENT.closed_questions:
            if v.id not in template and INSTRUMENT.condition(v.id):
                template[v.id] = draw(INSTRUMENT, v, rng)
    role = INSTRUMENT.variable("respondent_role")
    details = [
        (draw(INSTRUMENT, role, rng), weekday_in(FIELDWORK, rng), rng.choice(INTERVIEWERS))
        for _ in templates
    ]
    now = dt.datetime(2011, 12, 1)
    with engine.begin() as connection:
        wave_id = connection.execute(
            insert(Wave).values(
                key=WAVE,
                title="Benchmark",
                instrument=DEFAULT_INSTRUMENT,
                instrument_text=SCHEDULE_TEXT,
                instrument_sha256=schedule_sha256(SCHEDULE_TEXT),
            )
        ).inserted_primary_key[0]
        councils = respondents(connection, n)
        connection.execute(
            insert(Interview),
            [
                {
                    "wave_id": wave_id,
                    "council_id": council_id,
                    "status": "completed",
                    "respondent_role": details[k % len(details)][0],
                    "interview_date": details[k % len(details)][1],
                    "interviewer": details[k % len(details)][2],
                    "version": 1,
                    "updated_at": now,
                    # validated, as a published report's councils are: its view counts them
                    "validated_at": now,
                    "validated_by": "benchmark",
                }
                for k, council_id in enumerate(councils)
            ],
        )
        interview_ids = list(
            connection.scalars(
                select(Interview.id).where(Interview.wave_id == wave_id).order_by(Interview.id)
            )
        )
        written, stamp = 0, stored_time(connection, now)  # converted once, as the import does
        for start in range(0, len(interview_ids), CHUNK):
            rows = [
                (interview_id, variable_id, value, 1, stamp, BENCH.username)
                for k, interview_id in enumerate(interview_ids[start : start + CHUNK], start)
                for variable_id, value in templates[k % len(templates)].items()
            ]
            write_answers(connection, rows)
            written += len(rows)
    settle(engine)
    return wave_id, written


def settle(engine: Engine) -> None:
    """What autovacuum does within a minute of a bulk insert on PostgreSQL: statistics for the
    planner and the visibility map that lets a scan read an index alone. SQLite: statistics."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def write_answers(connection, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Bulk insert: COPY on PostgreSQL, the driver's executemany on SQLite (`db.bulk`)."""
    columns = ("interview_id", "variable_id", "value", "version", "updated_at", "updated_by")
    write_rows(connection, Answer.__table__, columns, rows)


# --- what is timed ----------------------------------------------------------------------------


def full_report(engine: Engine) -> str:
    """The JSON report as the report command makes it: read from the counters."""
    with Session(engine) as session:
        report = load_report(session, actor=BENCH, wave_key=WAVE)
    return report_json(report)


def counted_afresh(engine: Engine) -> object:
    """The reference count the counters must equal (what the report cost before them)."""
    with Session(engine) as session:
        return wave_counts(session, actor=BENCH, wave_key=WAVE, reference=True)


def recount(engine: Engine, wave_id: int) -> float:
    """Rebuild the counters after the bulk load, as `survey_cli.py recount` does; seconds."""
    started = time.perf_counter()
    with engine.begin() as connection:
        rebuild(connection, wave_id)
    return time.perf_counter() - started


def wide_report(engine: Engine) -> str:
    """The same JSON from every closed answer read into a wide table (the dashboard's path)."""
    with Session(engine) as session:
        results = load_results(session, actor=BENCH, wave_key=WAVE)
    return report_json(results)


def floor(engine: Engine, wave_id: int, sql=FLOOR_SQL) -> list:  # type: ignore[no-untyped-def,type-arg]
    with engine.connect() as connection:
        return connection.execute(sql, {"wave": wave_id, "closed": CLOSED}).all()


def agrees(report: str, counts: list) -> bool:  # type: ignore[type-arg]
    """Each count the GROUP BY found for a yesno/single code always asked is in the report."""
    variables = json.loads(report)["variables"]
    by_pair = {(v, value): n for v, value, n in counts}
    for vid, entry in variables.items():
        routed = INSTRUMENT.has_variable(vid) and INSTRUMENT.condition(vid)
        if entry["type"] in ("yesno", "single") and vid in CLOSED and not routed:
            for code, n in {**entry["counts"], "no_answer": entry["no_answer"]}.items():
                if by_pair.get((vid, code), 0) != n:
                    return False
    return True


# --- the run ----------------------------------------------------------------------------------


def sizes_arg(text_value: str) -> list[int]:
    return [int(s.replace("_", "").replace(",", "")) for s in text_value.split(",") if s]


def databases(url: str | None, sizes: list[int]) -> Iterator[tuple[int, str]]:
    """(size, URL): a temporary SQLite file per size, or the given database each time."""
    if url:
        for n in sizes:
            yield n, own_database(url)
        return
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            yield n, f"sqlite:///{Path(folder) / f'aggregate-{n}.sqlite3'}"


def profile(engine: Engine) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    full_report(engine)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


def measure(engine: Engine, wave_id: int, repeats: int, csv_path: Path) -> dict[str, float]:
    """Median seconds of the floors, the unfiltered GROUP BY, the report, the wide path and the
    pandas peer, taken in turn (one of each per round), so load falls on all alike."""
    actions: dict[str, Callable[[], object]] = {
        "plain floor": lambda: floor(engine, wave_id),
        "coded floor": lambda: floor(engine, wave_id, CODED_FLOOR_SQL),
        "long floor": lambda: long_floor(engine),
        "all": lambda: floor(engine, wave_id, ALL_VARIABLES_SQL),
        "report": lambda: full_report(engine),
        "afresh": lambda: counted_afresh(engine),
        "wide": lambda: wide_report(engine),
        "pandas csv": lambda: pandas_counts(csv_path),
    }
    for action in actions.values():
        action()  # warm imports, caches and pages
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            times[name] += timed(action, 1)
    medians = {name: statistics.median(ms) / 1000 for name, ms in times.items()}
    return {**medians, "floor": min(medians["plain floor"], medians["coded floor"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=sizes_arg,
        default=list(DEFAULT_SIZES),
        help="interview counts, comma separated (default 32,1000,10000,100000)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database-url", help="default: a throwaway SQLite file per size")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile the report at size N")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    results = []
    for n, url in databases(args.database_url, args.sizes):
        engine = fresh_engine(url)
        started = time.perf_counter()
        wave_id, rows = fill(engine, n)
        built = time.perf_counter() - started
        recounted = recount(engine, wave_id)
        report = full_report(engine)
        counts = floor(engine, wave_id)
        if not agrees(report, counts):
            print(f"N={n}: the report and the GROUP BY disagree", file=sys.stderr)
            return 1
        if wide_report(engine) != report:
            print(f"N={n}: the report differs from the wide table's", file=sys.stderr)
            return 1
        build_long_table(engine, wave_id)
        if sorted(long_floor(engine)) != sorted(tuple(r) for r in counts):
            print(f"N={n}: the long table counts differently", file=sys.stderr)
            return 1
        csv_path = Path(tempfile.gettempdir()) / f"aggregate-wide-{n}.csv"
        write_wide_csv(engine, wave_id, csv_path)
        measured = measure(engine, wave_id, args.repeats, csv_path)
        csv_path.unlink()
        row = {"n": n, "rows": rows, "built": built, "recount": recounted, **measured}
        results.append(row)
        print(
            f"  N={n:,}: {rows:,} answer rows written in {built:.1f} s; "
            f"counters rebuilt in {recounted:.1f} s; report {row['report']:.4f} s, "
            f"floor {row['floor']:.3f} s",
            file=sys.stderr,
        )
        if args.profile == n:
            print(profile(engine))
        engine.dispose()

    backend = (args.database_url or "sqlite").split(":", 1)[0].split("+", 1)[0]
    print(
        f"National report speed on {backend}, median of {args.repeats} rounds (seconds); the floor "
        "is the faster of plain and coded. The "
        "report agrees with the GROUP BY, and the wide table's JSON is identical, at every size."
    )
    print(f"Load average (1 min) at the start {load:.1f}, at the end {os.getloadavg()[0]:.1f}.")
    print(
        f"{'interviews':>10} {'answer rows':>12} {'recount':>7} {'plain':>7} {'coded':>7} "
        f"{'long':>7} {'all vars':>8} {'report':>7} {'afresh':>7} {'wide':>7} {'pandas':>7} "
        f"{'report/floor':>12} {'report/long':>11} {'report/pandas':>13}"
    )
    for r in results:
        print(
            f"{r['n']:>10,} {r['rows']:>12,} {r['recount']:7.2f} {r['plain floor']:7.3f} "
            f"{r['coded floor']:7.3f} {r['long floor']:7.3f} {r['all']:8.3f} "
            f"{r['report']:7.4f} {r['afresh']:7.3f} {r['wide']:7.3f} {r['pandas csv']:7.3f} "
            f"{r['report'] / r['floor']:11.2f}x {r['report'] / r['long floor']:10.2f}x "
            f"{r['report'] / r['pandas csv']:12.3f}x"
        )
    for r in results:
        quick = r["report"] < TARGET_REPORT
        print(f"target at {r['n']:,}: report under {TARGET_REPORT * 1000:.0f} ms "
              f"{'met' if quick else 'MISSED'} ({r['report'] * 1000:.1f} ms)", end="")  # fmt: skip
        if r["n"] in TARGET_SIZES:
            faster, ratio = r["report"] < r["long floor"], r["report"] / r["long floor"]
            print(f"; faster than the long-table floor {'met' if faster else 'MISSED'} "
                  f"({ratio:.2f}x)", end="")  # fmt: skip
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
