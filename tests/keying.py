"""Driving the Interview page's keying panel under AppTest, as its JavaScript would.

AppTest runs no JavaScript, so these helpers play the browser's part: they read the data the
page gives the panel, and send changes in the panel's outbox exactly as keying.js does (each
with an id, the version the screen showed, and any reason), then run the page.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from streamlit.testing.v1 import AppTest

from app_pages.keying.panel import panel_key

PANEL = "survey_keying_panel"


def panel_data(at: AppTest) -> dict[str, Any]:
    """What the page gave the keying panel on its last run."""
    panels = [e for e in at.get("bidi_component") if e.proto.component_name == PANEL]
    assert len(panels) == 1, f"{len(panels)} keying panels on the page"
    return json.loads(panels[0].proto.json)  # type: ignore[no-any-return]


def question(at: AppTest, variable: str) -> dict[str, Any]:
    """One question as the panel shows it (its wording, stored value, note, save state)."""
    for q in panel_data(at)["questions"]:
        if q["id"] == variable:
            return q  # type: ignore[no-any-return]
    raise AssertionError(f"{variable} is not in this Part")


def detail(at: AppTest, name: str) -> dict[str, Any]:
    for field in panel_data(at)["details"]["fields"]:
        if field["name"] == name:
            return field  # type: ignore[no-any-return]
    raise AssertionError(f"no detail {name}")


def change(
    at: AppTest,
    variable: str,
    value: str | None,
    *,
    field: str = "value",
    target: str = "answer",
    reason: str | None = None,
    based_on: int | None = None,
) -> dict[str, Any]:
    """One change as keying.js writes it, based on the version the screen shows."""
    if based_on is None:
        based_on = question(at, variable)["version"] if target == "answer" else 0
    return {
        "id": uuid.uuid4().hex,
        "target": target,
        "variable": variable,
        "field": field,
        "value": value,
        "based_on": based_on,
        "reason": reason,
    }


def send(at: AppTest, *changes: dict[str, Any], go: str | None = None) -> AppTest:
    """Put changes in the outbox (after any still there) and run the page, like a keystroke."""
    interview = panel_data(at)["interview"]
    key = panel_key(interview)
    state = dict(at.session_state[key]) if key in at.session_state else {}
    done = set(panel_data(at)["acked"])  # the browser forgets what the page has applied
    waiting = [
        c for c in state.get("outbox") or [] if not isinstance(c, dict) or c.get("id") not in done
    ]
    state["outbox"] = [*waiting, *changes]
    state["go"] = {"part": go, "outbox": []} if go else None
    at.session_state[key] = state
    at.run()
    assert not at.exception, at.exception
    if go:  # a trigger lasts one run, as in the browser
        state["go"] = None
        at.session_state[key] = state
    return at


def key(at: AppTest, variable: str, value: str | None, **kwargs: Any) -> AppTest:
    """Record one answer as the interviewer keys it."""
    return send(at, change(at, variable, value, **kwargs))
