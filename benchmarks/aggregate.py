"""Speed of the national results: the full JSON report for N completed interviews.

Fills a throwaway database with N synthetic completed interviews (plausible answers drawn by
`db.demo`, following the routing, text answers included; 1 in 50 also keeps answers that
routing now skips, as after a parent answer was changed), then times, repeated, medians:

- report: the full JSON report through the project's own code, `db.results.load_results`
  + `aggregation.report.report_json`, split into `read` (`wave_tables`), `(fetch)` (its rows
  fetched by the driver alone, no pandas) and `tally` (`wave_results` + `report_json`);
- floor: a hand-written SQL `GROUP BY variable_id, value` over the same closed answers of the
  same completed interviews, fetched to Python (and, for scale, the same over all variables);
- in SQL: a prototype for db/results.py that produces the identical JSON from GROUP BYs with
  routing evaluated in SQL (`counted_in_sql`); checked byte for byte against the report.

    python benchmarks/aggregate.py [--sizes 32,1000,10000,100000] [--repeats 5]
                                   [--database-url URL] [--profile N]

The database is the benchmark's own: a temporary SQLite file per size by default; with
`--database-url` (PostgreSQL, a database whose name contains "bench") its public schema is
DROPPED with everything in it and re-created, per size.
Targets, at 10,000 interviews: the report under 1 s and within 2x the floor.
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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import (  # noqa: E402
    Engine,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from aggregation.report import report_json  # noqa: E402
from aggregation.response import response_figures  # noqa: E402
from aggregation.results import wave_results  # noqa: E402
from aggregation.tally import Tally  # noqa: E402
from benchmarks.timing import timed  # noqa: E402
from db.actor import Actor  # noqa: E402
from db.demo import FIELDWORK, INTERVIEWERS, draw, plausible_interview, weekday_in  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.interviews import get_wave, instrument_named  # noqa: E402
from db.models import Answer, Council, Interview, Wave  # noqa: E402
from db.results import load_results, wave_tables  # noqa: E402
from db.setup import initialise  # noqa: E402
from instrument import DEFAULT_INSTRUMENT  # noqa: E402
from instrument.model import DONT_KNOW, NO_ANSWER, RESERVED_CODES, Variable  # noqa: E402

DEFAULT_SIZES = (32, 1_000, 10_000, 100_000)
TARGET_SIZE = 10_000
TARGET_SECONDS = 1.0
TARGET_RATIO = 2.0
WAVE = "benchmark"
TEMPLATES = 500  # distinct drawn interviews, reused in turn: drawing 100,000 would take minutes
STALE_EVERY = 50  # every 50th keeps answers routing now skips, as after a parent is changed
CHUNK = 5_000  # interviews written per batch
SEED = 2011
BENCH = Actor("benchmark", "admin")
INSTRUMENT = instrument_named(DEFAULT_INSTRUMENT)
CLOSED = [v.id for v in INSTRUMENT.closed_questions]

FLOOR_SQL = text(
    "SELECT a.variable_id, a.value, count(*) FROM answer a "
    "JOIN interview i ON i.id = a.interview_id "
    "WHERE i.wave_id = :wave AND i.status = 'completed' AND a.value IS NOT NULL "
    "AND a.variable_id IN :closed "
    "GROUP BY a.variable_id, a.value"
).bindparams(bindparam("closed", expanding=True))
ALL_VARIABLES_SQL = text(
    "SELECT a.variable_id, a.value, count(*) FROM answer a "
    "JOIN interview i ON i.id = a.interview_id "
    "WHERE i.wave_id = :wave AND i.status = 'completed' "
    "GROUP BY a.variable_id, a.value"
)


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
    """Council ids for n respondents: the 32 councils, then synthetic ones (throwaway only)."""
    real = list(connection.scalars(select(Council.id).order_by(Council.code)))
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
            insert(Wave).values(key=WAVE, title="Benchmark", instrument=DEFAULT_INSTRUMENT)
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
                }
                for k, council_id in enumerate(councils)
            ],
        )
        interview_ids = list(
            connection.scalars(
                select(Interview.id).where(Interview.wave_id == wave_id).order_by(Interview.id)
            )
        )
        written = 0
        for start in range(0, len(interview_ids), CHUNK):
            rows = [
                (interview_id, variable_id, value, 1, now, BENCH.username)
                for k, interview_id in enumerate(interview_ids[start : start + CHUNK], start)
                for variable_id, value in templates[k % len(templates)].items()
            ]
            write_answers(connection, rows)
            written += len(rows)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")  # as autovacuum would; SQLite's planner too
        connection.commit()
    return wave_id, written


def write_answers(connection, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Bulk insert: COPY on PostgreSQL, the driver's executemany on SQLite."""
    columns = ("interview_id", "variable_id", "value", "version", "updated_at", "updated_by")
    cursor = connection.connection.driver_connection.cursor()
    if connection.dialect.name == "postgresql":
        with cursor.copy(f"COPY answer ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(
            f"INSERT INTO answer ({', '.join(columns)}) VALUES (?, ?, ?, ?, ?, ?)",
            [(*r[:4], r[4].isoformat(" "), r[5]) for r in rows],
        )
    cursor.close()


# --- what is timed ----------------------------------------------------------------------------


def full_report(engine: Engine) -> str:
    with Session(engine) as session:
        results = load_results(session, actor=BENCH, wave_key=WAVE)
    return report_json(results.wave_key, results.figures, results.tallies)


def read_only(engine: Engine) -> object:
    with Session(engine) as session:
        return wave_tables(session, actor=BENCH, wave_key=WAVE, closed_only=True)


def tally_only(tables: tuple) -> Callable[[], str]:  # type: ignore[type-arg]
    interviews, answers = tables

    def run() -> str:
        results = wave_results(WAVE, INSTRUMENT, interviews, answers)
        return report_json(results.wave_key, results.figures, results.tallies)

    return run


def fetch_only(engine: Engine) -> list:  # type: ignore[type-arg]
    """The rows `wave_tables` reads, fetched by the driver alone: what any design that brings
    every closed answer into Python pays before it counts anything."""
    with Session(engine) as session:
        wave = get_wave(session, WAVE)
        query = (
            select(Answer.interview_id, Answer.variable_id, Answer.value)
            .join(Interview, Interview.id == Answer.interview_id)
            .where(Interview.wave_id == wave.id, Interview.status == "completed")
            .where(Answer.value.is_not(None), Answer.variable_id.in_(CLOSED))
        )
        return session.connection().execute(query).cursor.fetchall()  # type: ignore[union-attr]


def floor(engine: Engine, wave_id: int, sql=FLOOR_SQL) -> list:  # type: ignore[no-untyped-def,type-arg]
    with engine.connect() as connection:
        return connection.execute(sql, {"wave": wave_id, "closed": CLOSED}).all()


def seconds(action: Callable[[], object], repeats: int) -> float:
    """Median seconds of `repeats` calls, after one to warm imports, caches and pages."""
    action()
    return statistics.median(timed(action, repeats)) / 1000


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


# --- prototype: count in SQL, routing included (a suggestion for db/results.py) ---------------


def routing_parents(variable_ids: list[str]) -> list[str]:
    """Every variable the routing of these variables reads, however far up, in schedule order."""
    found: set[str] = set()
    todo = list(variable_ids)
    while todo:
        condition = INSTRUMENT.condition(todo.pop())
        for clause in condition.clauses if condition else ():
            if clause.variable not in found:
                found.add(clause.variable)
                todo.append(clause.variable)
    return [v.id for v in INSTRUMENT.questions if v.id in found]


def applies_on(variable_id: str, value_of: dict):  # type: ignore[no-untyped-def,type-arg]
    """The routing rule as SQL over columns holding each parent's value (None: always asked).

    A clause holds when the parent holds the code (a multi: includes it) and the parent itself
    applies, as `Instrument.applies` says; a missing parent is NULL, which never holds.
    """
    condition = INSTRUMENT.condition(variable_id)
    if condition is None:
        return None
    groups = []
    for group in condition.groups:
        parts = []
        for clause in group:
            column = value_of[clause.variable]
            if INSTRUMENT.variable(clause.variable).type == "multi":
                parts.append((literal(";") + column + literal(";")).like(f"%;{clause.code};%"))
            else:
                parts.append(column == clause.code)
            above = applies_on(clause.variable, value_of)
            if above is not None:
                parts.append(above)
        groups.append(and_(*parts))
    return or_(*groups)


def counted_in_sql(engine: Engine) -> str:
    """The same JSON report from one statement of GROUP BYs: no answer row leaves the database.

    Variables always asked are counted straight from the answers. Routed ones, and the parents
    their rules read, are first pivoted to one row per interview (`routing`, computed once);
    each routed variable is then counted over the interviews where its rule holds, and those
    counts, blanks included, add up to its base. Two passes over the answers in all.
    """
    routed = [v.id for v in INSTRUMENT.closed_questions if INSTRUMENT.condition(v.id)]
    pivoted = [v.id for v in INSTRUMENT.questions if v.id in {*routing_parents(routed), *routed}]
    with Session(engine) as session:
        wave = get_wave(session, WAVE)
        done = and_(Interview.wave_id == wave.id, Interview.status == "completed")
        pivot = (
            select(
                *(
                    func.max(case((Answer.variable_id == vid, Answer.value))).label(f"v{k}")
                    for k, vid in enumerate(pivoted)
                ),
            )
            .join(Interview, Interview.id == Answer.interview_id)
            .where(done, Answer.variable_id.in_(pivoted))
            .group_by(Answer.interview_id)
            .cte("routing")
            .prefix_with("MATERIALIZED")  # one pass, read by every routed variable
        )
        value_of = {vid: pivot.c[f"v{k}"] for k, vid in enumerate(pivoted)}
        always = (
            select(Answer.variable_id, Answer.value, func.count())
            .join(Interview, Interview.id == Answer.interview_id)
            .where(
                done,
                Answer.value.is_not(None),
                Answer.variable_id.in_([v for v in CLOSED if v not in routed]),
            )
            .group_by(Answer.variable_id, Answer.value)
        )
        asked = [
            select(literal(vid), value_of[vid], func.count())
            .where(applies_on(vid, value_of))
            .group_by(value_of[vid])
            for vid in routed
        ]
        rows = session.execute(union_all(always, *asked)).all()
        statuses = session.execute(
            select(Interview.status, func.count())
            .where(Interview.wave_id == wave.id)
            .group_by(Interview.status)
        ).all()
        roles = session.execute(
            select(Interview.respondent_role, func.count())
            .where(done)
            .group_by(Interview.respondent_role)
        ).all()
    completed = sum(n for status, n in statuses if status == "completed")
    found: dict[str, dict[str, int]] = defaultdict(dict)
    base_of: Counter[str] = Counter()
    for vid, value, n in rows:
        base_of[vid] += n
        if value is not None:
            found[vid][value] = n
    found["respondent_role"] = {role: n for role, n in roles if role}
    tallies: dict[str, Tally] = {}
    for v in (*INSTRUMENT.record_variables, *INSTRUMENT.closed_questions):
        base = base_of[v.id] if v.id in routed else completed
        tallies[v.id] = tally_from_counts(v, found[v.id], base, completed)
        if v.bands:
            tallies[v.bands.id] = bands_from_counts(v, found[v.id], base, completed)
    figures = response_figures(s for s, n in statuses for _ in range(n))
    return report_json(WAVE, figures, tallies)


def tally_from_counts(v: Variable, found: dict[str, int], base: int, completed: int) -> Tally:
    given = {k: n for k, n in found.items() if k not in RESERVED_CODES}
    common = {
        "variable_id": v.id,
        "type": v.type,
        "label": v.label or v.id,
        "base": base,
        "no_answer": found.get(NO_ANSWER, 0),
        "dont_know": found.get(DONT_KNOW, 0),
        "not_applicable": completed - base,
        "answered": sum(given.values()),
    }
    if v.type == "percent":
        numbers = sorted((int(k), n) for k, n in given.items())
        return Tally(
            **common,
            counts={},
            n=sum(n for _, n in numbers),
            median=median_of(numbers),
            min=numbers[0][0] if numbers else None,
            max=numbers[-1][0] if numbers else None,
        )
    mentions: Counter[str] = Counter()
    for value, n in given.items():
        for code in value.split(";") if v.type == "multi" else [value]:
            mentions[code] += n
    choices = INSTRUMENT.choices(v)
    return Tally(
        **common,
        counts={c.code: mentions[c.code] for c in choices},
        choice_labels={c.code: c.label for c in choices},
    )


def bands_from_counts(v: Variable, found: dict[str, int], base: int, completed: int) -> Tally:
    assert v.bands is not None
    given = {int(k): n for k, n in found.items() if k not in RESERVED_CODES}
    banded: Counter[str | None] = Counter()
    for value, n in given.items():
        banded[v.bands.band_of(value)] += n
    return Tally(
        variable_id=v.bands.id,
        type="band",
        label=v.bands.label,
        base=base,
        counts={b.code: banded[b.code] for b in v.bands.bands},
        no_answer=found.get(NO_ANSWER, 0),
        dont_know=found.get(DONT_KNOW, 0),
        not_applicable=completed - base,
        answered=sum(given.values()),
        choice_labels={b.code: b.label for b in v.bands.bands},
    )


def median_of(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as sorted (value, count) pairs, as statistics.median."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]
    found, seen = [], 0
    for value, n in histogram:
        while middle and middle[0] < seen + n:
            found.append(value)
            middle.pop(0)
        seen += n
    return (found[0] + found[1]) / 2


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


def measure(engine: Engine, wave_id: int, repeats: int) -> dict[str, float]:
    """Median seconds of the floor, the unfiltered GROUP BY, the report and its two halves."""
    actions: dict[str, Callable[[], object]] = {
        "floor": lambda: floor(engine, wave_id),
        "all": lambda: floor(engine, wave_id, ALL_VARIABLES_SQL),
        "report": lambda: full_report(engine),
        "read": lambda: read_only(engine),
        "fetch": lambda: fetch_only(engine),
        "tally": tally_only(read_only(engine)),  # type: ignore[arg-type]
        "in_sql": lambda: counted_in_sql(engine),
    }
    return {name: seconds(action, repeats) for name, action in actions.items()}


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
        report = full_report(engine)
        counts = floor(engine, wave_id)
        if not agrees(report, counts):
            print(f"N={n}: the report and the GROUP BY disagree", file=sys.stderr)
            return 1
        if counted_in_sql(engine) != report:
            print(f"N={n}: the counted-in-SQL prototype differs from the report", file=sys.stderr)
            return 1
        row = {"n": n, "rows": rows, "built": built, **measure(engine, wave_id, args.repeats)}
        results.append(row)
        print(
            f"  N={n:,}: {rows:,} answer rows written in {built:.1f} s; "
            f"report {row['report']:.3f} s, floor {row['floor']:.3f} s",
            file=sys.stderr,
        )
        if args.profile == n:
            print(profile(engine))
        engine.dispose()

    backend = (args.database_url or "sqlite").split(":", 1)[0].split("+", 1)[0]
    print(
        f"National report speed on {backend}, median of {args.repeats} (seconds). The report "
        "agrees with the GROUP BY, and the prototype's JSON is identical, at every size."
    )
    print(f"Load average (1 min) at the start {load:.1f}, at the end {os.getloadavg()[0]:.1f}.")
    print(
        f"{'interviews':>10} {'answer rows':>12} {'floor':>7} {'all vars':>8} {'report':>7} "
        f"{'read':>7} {'(fetch)':>7} {'tally':>7} {'in SQL':>7} {'report/floor':>12} "
        f"{'in SQL/floor':>12}"
    )
    for r in results:
        print(
            f"{r['n']:>10,} {r['rows']:>12,} {r['floor']:7.3f} {r['all']:8.3f} "
            f"{r['report']:7.3f} {r['read']:7.3f} {r['fetch']:7.3f} {r['tally']:7.3f} "
            f"{r['in_sql']:7.3f} {r['report'] / r['floor']:11.1f}x "
            f"{r['in_sql'] / r['floor']:11.1f}x"
        )
    target = next((r for r in results if r["n"] == TARGET_SIZE), None)
    if target is None:
        print(f"targets: not measured (add {TARGET_SIZE} to --sizes)")
        return 0
    for key, name in (("report", "the report"), ("in_sql", "the in-SQL prototype")):
        seconds, ratio = target[key], target[key] / target["floor"]
        verdicts = (
            f"< {TARGET_SECONDS:.0f} s {'met' if seconds < TARGET_SECONDS else 'MISSED'} "
            f"({seconds:.3f} s), <= {TARGET_RATIO:.0f}x floor "
            f"{'met' if ratio <= TARGET_RATIO else 'MISSED'} ({ratio:.1f}x)"
        )
        print(f"targets at {TARGET_SIZE:,} interviews, {name}: {verdicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
