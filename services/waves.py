"""Waves are created by people: a new round of fieldwork with the schedule it pins, its
fieldwork dates, and its closing. Administrators only; every change is in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import counters
from db.councils import COUNCILS
from db.models import Council, Interview, SampleFrame, Wave, utcnow
from instrument.errors import SurveyError
from instrument.loader import parse_instrument, schedule_sha256
from services import audit
from services.actor import Actor
from services.interviews import WaveSummary, get_wave, wave_summary_of
from services.permissions import WaveClosed, require

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
MAX_TITLE = 200
EXAMPLE = ("2026", "Commissioning social care 2026")


MIN_THRESHOLD, MAX_THRESHOLD = 2, 100


class WaveProblem(SurveyError, ValueError):
    """A wave change refused, said in words: a key taken, a title missing, dates reversed."""

    code = "wave.refused"


def create_wave(
    session: Session,
    *,
    actor: Actor,
    key: str,
    title: str,
    instrument_text: str,
    instrument_name: str,
    frame: str = COUNCILS,
) -> WaveSummary:
    """A new wave pinned to this schedule text, with an interview record for every member of
    the sample frame (a shipped one or one loaded from a file: `services.frames`).

    The schedule is checked whole first (every problem listed, `instrument.invalid`), and the
    key, title and frame after; nothing is written unless all is well.
    """
    require(session, actor, "manage waves", target=f"wave {key}")
    instrument = parse_instrument(instrument_text, source=instrument_name)
    taken = session.scalar(select(Wave.id).where(Wave.key == key)) is not None
    problems = key_and_title_problems(key, title, thing="wave", taken=taken, example=EXAMPLE)
    sample_frame = session.get(SampleFrame, frame)
    if sample_frame is None:
        frames = ", ".join(session.scalars(select(SampleFrame.key).order_by(SampleFrame.key)))
        problems.append(f"there is no sample frame {frame!r}; use one of {frames}")
    if problems or sample_frame is None:
        raise WaveProblem("; ".join(problems))
    sha = schedule_sha256(instrument_text)
    wave = Wave(
        key=key,
        title=title.strip(),
        instrument=instrument_name[:80],
        instrument_text=instrument_text,
        instrument_sha256=sha,
        frame=frame,
    )
    session.add(wave)
    session.flush()
    members = select(Council.id).where(Council.frame == frame).order_by(Council.name)
    councils = session.scalars(members).all()
    session.add_all(Interview(wave_id=wave.id, council_id=c) for c in councils)
    audit.record(
        session,
        actor=actor,
        action="wave.create",
        target=f"wave {key}",
        new=f"{title.strip()} · {sample_frame.title} · schedule {instrument_name} "
        f"({instrument.title}) sha256 {sha}",
    )
    session.commit()
    return wave_summary_of(wave)


def set_fieldwork_dates(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    start: dt.date | None,
    end: dt.date | None,
) -> WaveSummary:
    """When fieldwork runs (either end may be left open); the change is logged."""
    require(session, actor, "manage waves", target=f"wave {wave_key}")
    wave = _open_wave(session, wave_key)
    if start and end and end < start:
        raise WaveProblem(f"fieldwork cannot end ({end:%d/%m/%Y}) before it starts "
                          f"({start:%d/%m/%Y})")  # fmt: skip
    old = _dates_text(wave.fieldwork_start, wave.fieldwork_end)
    wave.fieldwork_start, wave.fieldwork_end = start, end
    audit.record(session, actor=actor, action="wave.dates", target=f"wave {wave_key}",
                 old=old, new=_dates_text(start, end))  # fmt: skip
    session.commit()
    return wave_summary_of(wave)


def set_disclosure_threshold(
    session: Session, *, actor: Actor, wave_key: str, threshold: int
) -> WaveSummary:
    """The fewest councils a published figure of the wave may describe; the change is logged.
    Below 2 nothing would be withheld, so it is refused."""
    require(session, actor, "manage waves", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise WaveProblem(f"the disclosure threshold must be a whole number from {MIN_THRESHOLD} "
                          f"to {MAX_THRESHOLD}, not {threshold}")  # fmt: skip
    return change_setting(session, actor=actor, wave=wave, action="wave.threshold",
                          name="disclosure_threshold", value=threshold, said=str)  # fmt: skip


def change_setting(
    session: Session,
    *,
    actor: Actor,
    wave: Wave,
    action: str,
    name: str,
    value: object,
    said: Callable[[Any], str],
) -> WaveSummary:
    """Set one of the wave's policies (a threshold, a retention date), log old and new in
    words (`said`), and commit."""
    old = getattr(wave, name)
    setattr(wave, name, value)
    audit.record(session, actor=actor, action=action, target=f"wave {wave.key}",
                 old=said(old), new=said(value))  # fmt: skip
    session.commit()
    return wave_summary_of(wave)


def recount(session: Session, *, actor: Actor, wave_key: str) -> counters.Recount:
    """Rebuild the wave's counters from the answers (the reference count) and say how many
    counter lines had drifted; a drift is logged, since the report read those counters.

    The wave's interviews are locked first, so no save lands between the count and the
    rebuild; a closed wave may be recounted (its answers do not change)."""
    require(session, actor, "manage waves", target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    session.scalars(
        select(Interview.id).where(Interview.wave_id == wave.id).order_by(Interview.id)
        .with_for_update()
    ).all()  # fmt: skip
    found = counters.rebuild(session.connection(), wave.id)
    audit.record(session, actor=actor, action="wave.recount", target=f"wave {wave_key}",
                 old=f"{found.drifted} counter lines differed from the answers",
                 new=f"{found.lines} counter lines, counted afresh")  # fmt: skip
    session.commit()
    return found


def close_wave(session: Session, *, actor: Actor, wave_key: str, reason: str) -> WaveSummary:
    """Close the wave: from now on nobody may change anything in it. The reason is required
    and logged with who closed it and when."""
    require(session, actor, "manage waves", target=f"wave {wave_key}")
    wave = _open_wave(session, wave_key)
    if not reason.strip():
        raise WaveProblem("say why the wave is closed (e.g. 'fieldwork over, report published')")
    wave.closed_at, wave.closed_by, wave.closed_reason = utcnow(), actor.username, reason.strip()
    audit.record(session, actor=actor, action="wave.close", target=f"wave {wave_key}",
                 new="closed", reason=reason.strip())  # fmt: skip
    session.commit()
    return wave_summary_of(wave)


def _open_wave(session: Session, wave_key: str) -> Wave:
    wave = get_wave(session, wave_key)
    if wave.closed_at is not None:
        raise WaveClosed(f"wave {wave_key} is closed ({wave.closed_reason}); it cannot change")
    return wave


def key_and_title_problems(
    key: str, title: str, *, thing: str, taken: bool, example: tuple[str, str]
) -> list[str]:
    """What is wrong with a new wave's (or sample frame's) key and title, in words: `taken`
    says the key is another's already; `example` is a key and a title to suggest."""
    problems = []
    if not KEY_PATTERN.fullmatch(key):
        problems.append(
            f"the key {key!r} must be 1 to 40 letters, digits, '-' or '_', starting with a "
            f"letter or digit (e.g. {example[0]})"
        )
    elif taken:
        problems.append(f"there is already a {thing} {key!r}")
    if not title.strip():
        problems.append(f"give the {thing} a title (e.g. {example[1]!r})")
    elif len(title.strip()) > MAX_TITLE:
        problems.append(f"the title is {len(title.strip())} characters; at most {MAX_TITLE}")
    return problems


def _dates_text(start: dt.date | None, end: dt.date | None) -> str:
    def shown(day: dt.date | None) -> str:
        return f"{day:%Y-%m-%d}" if day else "open"

    return f"{shown(start)} to {shown(end)}"
