"""What every benchmark here shares: timing a callable, percentiles, and the AppTest floor."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from app_pages.common import TOKEN_KEY
from db.engine import make_engine
from services.accounts import account_actor, add_account
from services.actor import Actor
from services.sessions import start_session

SETUP = Actor("benchmark-setup", "admin")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds for each of `repeats` calls."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def floor_rerun(repeats: int) -> list[float]:
    """AppTest rerunning a one-radio script: the least a Streamlit rerun can cost here."""
    at = AppTest.from_string("import streamlit as st\nst.radio('x', ['a', 'b'], key='x')\n")
    at.run()
    values = iter(("a", "b") * repeats)
    return timed(lambda: at.radio(key="x").set_value(next(values)).run(), repeats)


def print_table(title: str, rows: dict[str, list[float]], floor_name: str) -> None:
    floor = statistics.median(rows[floor_name])
    print(title)
    print(f"{'measure':<52} {'p50':>7} {'p95':>7} {'max':>7} {'p50/floor':>10}")
    for name, samples in rows.items():
        p50, p95 = statistics.median(samples), percentile(samples, 95)
        print(f"{name:<52} {p50:7.1f} {p95:7.1f} {max(samples):7.1f} {p50 / floor:9.1f}x")


def signed_in_app(script: str, url: str, username: str, role: str) -> AppTest:
    """An AppTest browser of `script`, signed in as an account of `role` (made once)."""
    engine = make_engine(url)
    with Session(engine) as s:
        if account_actor(s, username) is None:
            add_account(
                s, actor=SETUP, username=username, role=role, password=f"{username} bench pass"
            )
    with Session(engine) as s:
        token = start_session(s, account_actor(s, username))  # type: ignore[arg-type]
    engine.dispose()
    at = AppTest.from_file(script, default_timeout=120)
    at.session_state[TOKEN_KEY] = token
    return at
