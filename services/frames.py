"""Sample frames, who a wave can survey: the two shipped in db/ and any an administrator loads
from a flat file of codes and names. A file is checked whole (its key, title and every row);
it is loaded in one transaction, with its audit row, or refused with every problem listed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregation.wording import noun_plural
from db.councils import new_member
from db.models import Council, CouncilAlias, SampleFrame, utcnow
from flatfile.checks import ImportProblem, ImportRefused
from flatfile.frames import check_frame_file
from instrument.values import match_key
from services import audit
from services.actor import Actor
from services.permissions import require
from services.waves import key_and_title_problems

DEFAULT_MEMBER = "organisation"
# The word for one member: a word or a few, as it is said on screen ("health board").
MEMBER_PATTERN = re.compile(r"[^\W\d_][^\W\d_ '-]*(?:[ '-][^\W\d_]+)*")
MAX_MEMBER = 40
EXAMPLE = ("boards", "The 14 NHS health boards")


class FrameRefused(ImportRefused):
    """A frame not loaded: its key, title or member word, or its file, with every problem
    listed (each row's with its row and column); nothing was written."""

    code = "frame.refused"
    refused = "sample frame not loaded"


@dataclass(frozen=True)
class FrameSummary:
    """A sample frame as pages and the CLI see it; `created_by` is None for a shipped one."""

    key: str
    title: str
    member: str
    members: int
    created_at: dt.datetime | None = None
    created_by: str | None = None

    @property
    def plural(self) -> str:
        """The word for its members ("councils", "health boards", "bodies")."""
        return noun_plural(self.member)

    @property
    def origin(self) -> str:
        """Where it came from, in words: shipped, or loaded by whom and when."""
        if self.created_by is None:
            return "shipped with the survey"
        when = f" on {self.created_at:%d/%m/%Y}" if self.created_at else ""
        return f"loaded by {self.created_by}{when}"


def sample_frames(session: Session, *, actor: Actor) -> dict[str, FrameSummary]:
    """Every frame a wave may survey by its key, the shipped ones first, with how many
    members each has."""
    require(session, actor, "list waves")
    members = select(Council.frame, func.count()).group_by(Council.frame)
    counts = {frame: n for frame, n in session.execute(members)}
    frames = session.scalars(
        select(SampleFrame).order_by(SampleFrame.created_at.is_not(None), SampleFrame.key)
    )
    return {f.key: _summary(f, counts.get(f.key, 0)) for f in frames}


def load_frame(
    session: Session,
    *,
    actor: Actor,
    key: str,
    title: str,
    data: bytes,
    filename: str = "frame.csv",
    member: str = DEFAULT_MEMBER,
) -> FrameSummary:
    """A new sample frame from a file with the columns `code`, `name` and optionally
    `aliases` (other names, separated by ';'), CSV or XLSX. Every problem of the key, the
    title, the member word and the file's rows is listed at once (`FrameRefused`), and
    nothing is written unless there is none."""
    require(session, actor, "manage sample frames", target=f"sample frame {key}")
    taken = session.get(SampleFrame, key) is not None
    named = key_and_title_problems(key, title, thing="sample frame", taken=taken, example=EXAMPLE)
    problems = [ImportProblem(why) for why in [*named, *_member_problems(member)]]
    members, in_file = check_frame_file(data, filename, match_key=match_key, taken=_names(session))
    problems += in_file
    if problems:
        session.rollback()
        raise FrameRefused(problems, file=filename)
    frame = SampleFrame(key=key, title=title.strip(), member=member.strip(),
                        created_at=utcnow(), created_by=actor.username)  # fmt: skip
    session.add(frame)
    session.add_all(new_member(key, m.code, m.name, m.aliases) for m in members)
    summary = _summary(frame, len(members))
    audit.record(
        session,
        actor=actor,
        action="frame.load",
        target=f"sample frame {key}",
        new=f"{frame.title} · {len(members)} {summary.plural} from {filename} "
        f"sha256 {hashlib.sha256(data).hexdigest()}",
    )
    session.commit()
    return summary


def _summary(frame: SampleFrame, members: int) -> FrameSummary:
    return FrameSummary(
        frame.key, frame.title, frame.member, members, frame.created_at, frame.created_by
    )


def _member_problems(member: str) -> list[str]:
    word = member.strip()
    if len(word) > MAX_MEMBER or not MEMBER_PATTERN.fullmatch(word):
        return [
            f"the word for one member, {word!r}, must be 1 to {MAX_MEMBER} letters, spaces, "
            "'-' or \"'\", such as 'health board' or 'organisation'"
        ]
    return []


def _names(session: Session) -> dict[str, str]:
    """Every member of every frame by each match key of its code, name and aliases: the names
    a new frame's members may not have."""
    councils = session.scalars(select(Council)).all()
    who = {c.id: f"{c.name} ({c.code}) of sample frame {c.frame}" for c in councils}
    named = {match_key(text): who[c.id] for c in councils for text in (c.code, c.name)}
    aliases = select(CouncilAlias.match_key, CouncilAlias.council_id)
    named.update((alias, who[council_id]) for alias, council_id in session.execute(aliases))
    return named
