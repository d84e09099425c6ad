"""Interviewers' autosaves from many processes at once, and the check of the database against
what each was told: used by the concurrency and crash tests and by benchmarks/concurrency.py.

Each writer process (multiprocessing, spawn) saves verbatim answers as an interviewer's
autosave does: it sends the version it last saw, and on AnswerConflict it records the
conflict, re-reads the version and goes on. Half of the saves go to answers every writer
shares (two councils × three questions), so conflicts happen on purpose; the rest go to a
council of the writer's own. Every acknowledged save (value, resulting version, latency) and
every conflict is logged, and `verify` holds the database against the logs.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sys
import time
import types
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Answer, AnswerHistory, Council, Interview, Wave
from db.setup import DEFAULT_WAVE
from services.actor import Actor
from services.answers import (
    AnswerConflict,
    RecordedAnswer,
    interview_answers,
    save_answer,
)

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier

# Verbatim questions that every interview is asked (no routing), so any value is accepted.
SHARED_QUESTIONS = ("q2_explain", "q3_how", "q4_influence_example")
OWN_QUESTIONS = ("q6_why_least", "q8a_options", "q9a_support_type")
SHARED_SHARE = 0.5
START_TIMEOUT_S = 300

Key = tuple[int, str]  # (interview id, variable id)


@dataclass
class Outcome:
    """What the writers reported: every acknowledged save, conflict and error, and the clock."""

    workers: int
    saves_each: int
    seconds: float
    acks: list[dict] = field(default_factory=list)  # type: ignore[type-arg]
    conflicts: list[dict] = field(default_factory=list)  # type: ignore[type-arg]
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.workers * self.saves_each


@dataclass(frozen=True)
class Verification:
    """The database held against the writers' logs; every list should be empty."""

    history_rows: int
    lost: list[tuple]  # type: ignore[type-arg]  # acknowledged, but no history row has it
    phantom: list[tuple]  # type: ignore[type-arg]  # history rows that no writer acknowledged
    duplicate_versions: list[tuple]  # type: ignore[type-arg]  # two saves acked as one version
    conflicts_persisted: list[tuple]  # type: ignore[type-arg]  # a conflict's value was stored
    final_mismatches: list[tuple]  # type: ignore[type-arg]  # answer is not the last persisted save


def council_interviews(url: str, count: int) -> list[int]:
    """Interview ids of wave 2011's first `count` councils by name."""
    engine = make_engine(url)
    with Session(engine) as session:
        ids = list(
            session.scalars(
                select(Interview.id)
                .join(Council)
                .join(Wave)
                .where(Wave.key == DEFAULT_WAVE)
                .order_by(Council.name)
                .limit(count)
            )
        )
    engine.dispose()
    return ids


def writer_targets(interviews: list[int], worker: int) -> tuple[list[Key], list[Key]]:
    """The answers every writer shares, and the ones only this writer touches."""
    shared = [(i, v) for i in interviews[:2] for v in SHARED_QUESTIONS]
    own = [(interviews[2 + worker], v) for v in OWN_QUESTIONS]
    return shared, own


def autosave_writer(
    url: str,
    worker: int,
    saves: int,
    interviews: list[int],
    start: Barrier,
    log_path: str,
) -> None:
    """One interviewer's autosaves: `saves` attempts, each logged as an ack, conflict or error."""
    actor = Actor(f"writer{worker}", "interviewer")
    rng = random.Random(worker)
    shared, own = writer_targets(interviews, worker)
    engine = make_engine(url)
    seen: dict[Key, int] = {}
    for interview_id in {i for i, _ in shared + own}:
        seen.update(read_versions(engine, actor, interview_id))
    log: dict[str, list] = {"acks": [], "conflicts": [], "errors": []}  # type: ignore[type-arg]
    start.wait(timeout=START_TIMEOUT_S)
    for n in range(saves):
        interview_id, variable = rng.choice(shared if rng.random() < SHARED_SHARE else own)
        value, based_on = f"writer {worker}, save {n}", seen.get((interview_id, variable), 0)
        started = time.perf_counter()
        try:
            saved = autosave(engine, actor, (interview_id, variable), value, based_on)
        except AnswerConflict as conflict:
            log["conflicts"].append(
                {
                    "interview": interview_id,
                    "variable": variable,
                    "value": value,
                    "based_on": based_on,
                    "theirs": conflict.theirs.version,
                    "by": conflict.theirs.updated_by,
                }
            )
            seen.update(read_versions(engine, actor, interview_id))
            continue
        except Exception as exc:  # every other failure is a finding, never a crash
            log["errors"].append(f"writer {worker}, save {n}: {type(exc).__name__}: {exc}")
            continue
        ms = (time.perf_counter() - started) * 1000
        seen[(interview_id, variable)] = saved.version
        log["acks"].append(
            {
                "interview": interview_id,
                "variable": variable,
                "value": saved.value,
                "version": saved.version,
                "ms": ms,
            }
        )
    engine.dispose()
    Path(log_path).write_text(json.dumps(log), encoding="utf-8")


def autosave(engine, actor: Actor, key: Key, value: str, based_on: int) -> RecordedAnswer:  # type: ignore[no-untyped-def]
    """One autosave as the Interview page makes it: its own session, the version last seen."""
    interview_id, variable = key
    with Session(engine) as session:
        return save_answer(
            session,
            actor=actor,
            interview_id=interview_id,
            variable_id=variable,
            value=value,
            based_on_version=based_on,
        ).answer


def read_versions(engine, actor: Actor, interview_id: int) -> dict[Key, int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        answers = interview_answers(session, actor=actor, interview_id=interview_id)
    return {(interview_id, v): a.version for v, a in answers.items()}


@contextmanager
def plain_main() -> Iterator[None]:
    """Start spawned children without re-running the parent's `__main__`.

    Under pytest, AppTest leaves a Streamlit script (survey_app.py) as `__main__`, and spawn
    would run it again in every child before the writer starts.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def run_writers(url: str, workers: int, saves: int, folder: Path) -> Outcome:
    """Start the writers, release them together, wait for all, and gather their logs."""
    interviews = council_interviews(url, 2 + workers)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(workers + 1)
    logs = [folder / f"writer{w}.json" for w in range(workers)]
    processes = [
        spawn.Process(target=autosave_writer, args=(url, w, saves, interviews, start, str(logs[w])))
        for w in range(workers)
    ]
    with plain_main():
        for p in processes:
            p.start()
    start.wait(timeout=START_TIMEOUT_S)
    started = time.perf_counter()
    for p in processes:
        p.join()
    outcome = Outcome(workers, saves, time.perf_counter() - started)
    for w, (p, path) in enumerate(zip(processes, logs, strict=True)):
        if p.exitcode != 0 or not path.exists():
            outcome.errors.append(f"writer {w} died (exit code {p.exitcode})")
            continue
        log = json.loads(path.read_text(encoding="utf-8"))
        outcome.acks += log["acks"]
        outcome.conflicts += log["conflicts"]
        outcome.errors += log["errors"]
    return outcome


def verify(url: str, outcome: Outcome) -> Verification:
    """Hold every history row and final answer against what the writers were told."""
    engine = make_engine(url)
    with Session(engine) as session:
        history = [
            (h.interview_id, h.variable_id, h.version, h.new_value)
            for h in session.scalars(select(AnswerHistory))
        ]
        answers = {
            (a.interview_id, a.variable_id): (a.value, a.version)
            for a in session.scalars(select(Answer))
        }
    engine.dispose()
    acked = [(a["interview"], a["variable"], a["version"], a["value"]) for a in outcome.acks]
    versions = Counter((i, v, n) for i, v, n, _ in acked)
    last: dict[Key, tuple[str, int]] = {}
    for i, v, n, value in sorted(acked, key=lambda a: a[2]):
        last[(i, v)] = (value, n)
    stored_values = {h[3] for h in history} | {a[0] for a in answers.values()}
    counted_history, counted_acks = Counter(history), Counter(acked)
    return Verification(
        history_rows=len(history),
        lost=sorted((counted_acks - counted_history).elements()),
        phantom=sorted((counted_history - counted_acks).elements()),
        duplicate_versions=sorted(k for k, n in versions.items() if n > 1),
        conflicts_persisted=sorted(
            (c["interview"], c["variable"], c["value"])
            for c in outcome.conflicts
            if c["value"] in stored_values
        ),
        final_mismatches=sorted(
            (key, answers.get(key), expected)
            for key, expected in last.items()
            if answers.get(key) != expected
        ),
    )
