"""Counters kept at save time, so a report costs the same at 32 interviews or 100,000.

`answer_count` holds, per wave, role and validation, how many completed interviews gave each
value of each closed variable (and how many routing skipped); `interview_count` how many
interviews are in each status. Every change that can move a figure (an answer saved or
imported, a status, a role, a validation, an interview added or removed) changes them in the
same transaction, without any service having to remember to: the session's events note each
interview a flush touches, read its routed contribution as it stood before the first change,
and at commit read it again and apply the difference. So routing, reserved codes, multiple
choices and bands count exactly as the reference count (`db.counting`) counts them.

Writes that bypass the ORM's unit of work (a bulk delete, a restore) ask for a wave's counters
to be rebuilt from the reference at commit instead (`rebuild_at_commit`, `rebuild`).

The difference is applied at commit, after the audit chain's lock (every change that moves a
figure is audited): transactions that change counters therefore take their row locks one at
a time, in one order, and never deadlock on them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, delete, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.util import identity_key

from db.counting import COMPLETED, VALIDATED, CountLine, Group, closed_ids, reference_lines
from db.models import Answer, AnswerCount, Interview, InterviewCount, Wave
from instrument.loader import pinned_instrument
from instrument.model import CODED_VALUE_LIMIT
from instrument.schedule import Instrument

NONE = ""  # no role recorded; a blank or skipped value (the key columns are never NULL)
CHUNK = 500  # interviews read per statement

AnswerKey = tuple[int, str, bool, str, str, bool]  # wave, role, validated, variable, value, applies
StatusKey = tuple[int, str, str, bool]  # wave, status, role, validated


@dataclass
class Counts:
    """Counters, or a difference between two readings of them (negative where one fell)."""

    answers: Counter[AnswerKey] = field(default_factory=Counter)
    statuses: Counter[StatusKey] = field(default_factory=Counter)

    def add(self, other: Counts, sign: int = 1) -> None:
        for key, n in other.answers.items():
            self.answers[key] += sign * n
        for status, n in other.statuses.items():
            self.statuses[status] += sign * n

    def waves(self) -> set[int]:
        return {key[0] for key in self.answers} | {key[0] for key in self.statuses}


def contribution(
    instrument: Instrument | None, interview: Mapping[str, Any], answers: Mapping[str, str]
) -> Counts:
    """What one interview adds to its wave's counters: its status always, and, once completed,
    one line per closed variable, as the reference count would count it (the schedule is
    needed only then)."""
    wave, role = interview["wave_id"], interview["respondent_role"] or NONE
    validated = interview["validated_at"] is not None
    counts = Counts(statuses=Counter({(wave, interview["status"], role, validated): 1}))
    if interview["status"] == COMPLETED:
        assert instrument is not None, "a completed interview is counted by its schedule"
        for variable_id, value, applies in _lines(instrument, interview, answers):
            counts.answers[wave, role, validated, variable_id, value, applies] += 1
    return counts


@lru_cache(maxsize=64)
def _plan(instrument: Instrument) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """Per schedule, once: its closed record variables, its routed questions, all it counts."""
    record = tuple(v.id for v in instrument.record_variables if v.is_closed)
    return record, frozenset(instrument.routed_closed_ids), closed_ids(instrument)


def _lines(
    instrument: Instrument, interview: Mapping[str, Any], answers: Mapping[str, str]
) -> Iterator[tuple[str, str, bool]]:
    record_ids, routed, counted = _plan(instrument)
    record = {variable_id: interview[variable_id] for variable_id in record_ids}
    # Routing reads what the coded index holds (`db.counting.coded`): codes, never long text.
    coded = {k: v for k, v in answers.items() if v and len(v) <= CODED_VALUE_LIMIT}
    coded |= {k: v for k, v in record.items() if v}
    for variable_id in counted:
        if variable_id in record:
            yield variable_id, record[variable_id] or NONE, True
        elif variable_id not in routed:
            yield variable_id, answers.get(variable_id) or NONE, True
        elif instrument.applies(variable_id, coded):
            yield variable_id, coded.get(variable_id, NONE), True
        else:
            yield variable_id, NONE, False


# What a contribution reads of an interview (named, so a migration reads only what it had):
# the role is the one closed record variable a schedule may have. The statements are built
# once: building them each save would cost more than running them.
READ = ("id", "wave_id", "status", "validated_at", "respondent_role")
_INTERVIEWS = (
    select(
        *(Interview.__table__.c[name] for name in READ),
        Wave.instrument_sha256,
        Answer.variable_id,
        Answer.value,
    )
    .join(Wave, Wave.id == Interview.wave_id)
    .outerjoin(  # a completed interview's answers, in the same read (nothing else is counted)
        Answer,
        and_(
            Answer.interview_id == Interview.id,
            Interview.status == COMPLETED,
            Answer.value.is_not(None),
        ),
    )
    .where(Interview.id.in_(bindparam("ids", expanding=True)))
)
_SCHEDULE = select(Wave.key, Wave.instrument_text).where(Wave.id == bindparam("wave"))


@dataclass(frozen=True)
class _Held:
    """One interview as the database held it: what a contribution reads, its schedule, and
    its answers (read only when it is completed: nothing else of it is counted)."""

    row: dict[str, Any]
    instrument: Instrument
    answers: dict[str, str] | None


def _read(connection: Connection, interview_ids: Iterable[int]) -> dict[int, _Held]:
    ids = sorted(set(interview_ids))
    held: dict[int, _Held] = {}
    for start in range(0, len(ids), CHUNK):
        for row in connection.execute(_INTERVIEWS, {"ids": ids[start : start + CHUNK]}):
            one = held.get(row.id)
            if one is None:
                instrument = _schedule(connection, row.wave_id, row.instrument_sha256)
                answers: dict[str, str] | None = {} if row.status == COMPLETED else None
                one = held[row.id] = _Held({n: getattr(row, n) for n in READ}, instrument, answers)
            if one.answers is not None and row.variable_id is not None:
                one.answers[row.variable_id] = row.value or NONE
    return held


def read_contributions(connection: Connection, interview_ids: Iterable[int]) -> Counts:
    """The interviews' contributions as the database holds them now (none for one gone)."""
    return _summed(_read(connection, interview_ids).values())


def _summed(held: Iterable[_Held]) -> Counts:
    counts = Counts()
    for one in held:
        counts.add(contribution(one.instrument, one.row, one.answers or {}))
    return counts


def _schedule(connection: Connection, wave_id: int, sha256: str) -> Instrument:
    """The wave's pinned schedule, its text read only the first time its fingerprint is seen."""
    known = _SCHEDULES.get(sha256)
    if known is None:
        key, text = connection.execute(_SCHEDULE, {"wave": wave_id}).one()
        known = _SCHEDULES[sha256] = pinned_instrument(text, sha256, source=f"wave {key}")
    return known


_SCHEDULES: dict[str, Instrument] = {}


def apply(connection: Connection, difference: Counts) -> None:
    """Add a difference to the counters, in key order, so concurrent writers lock alike. A
    counter brought to zero stays, as zero: the keys are codes, so they are few, and a save
    spared a DELETE is a save quicker (readers pass over zeros)."""
    for model, changes in ((AnswerCount, difference.answers),
                           (InterviewCount, difference.statuses)):  # fmt: skip
        table = cast(Table, model.__table__)
        names = [c.name for c in _key(model)]
        rows = [
            {**dict(zip(names, key, strict=True)), "interviews": n}
            for key, n in sorted(changes.items())
            if n
        ]
        if rows:
            connection.execute(_upsert(connection.dialect.name, table), rows)


def _key(model: type[AnswerCount] | type[InterviewCount]) -> list[Any]:
    """A counter table's key columns, in the order of `AnswerKey` and `StatusKey`: its
    primary key's, which `apply` writes by and `stored_counts` reads by."""
    return list(cast(Table, model.__table__).primary_key.columns)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(dialect_name: str, table: Table) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding to a count, the same on both databases; built
    once per database kind and table."""
    if (dialect_name, table.name) not in _UPSERTS:
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        statement = dialect.insert(table)
        _UPSERTS[dialect_name, table.name] = statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={"interviews": table.c.interviews + statement.excluded.interviews},
        )
    return _UPSERTS[dialect_name, table.name]


@dataclass(frozen=True)
class Recount:
    """What rebuilding a wave's counters found: how many counter lines were wrong before."""

    wave_id: int
    lines: int  # counter lines after the rebuild
    drifted: int  # lines that were missing, extra or held another count


def rebuild(connection: Connection, wave_id: int) -> Recount:
    """Replace the wave's counters with the reference count, saying how far they had drifted."""
    sha256 = connection.scalars(select(Wave.instrument_sha256).where(Wave.id == wave_id)).one()
    instrument = _schedule(connection, wave_id, sha256)
    truth = reference_counts(connection, instrument, wave_id)
    held = stored_counts(connection, wave_id)
    drifted = _differing(truth.answers, held.answers) + _differing(truth.statuses, held.statuses)
    for model in (AnswerCount, InterviewCount):
        connection.execute(delete(model).where(model.wave_id == wave_id))
    apply(connection, truth)
    return Recount(wave_id, len(truth.answers) + len(truth.statuses), drifted)


def _differing(one: Mapping[Any, int], other: Mapping[Any, int]) -> int:
    return sum(1 for key in {*one, *other} if one.get(key, 0) != other.get(key, 0))


def reference_counts(connection: Connection, instrument: Instrument, wave_id: int) -> Counts:
    """The counters as they should stand: counted afresh from the answers and interviews."""
    counts = Counts()
    for group, variable_id, value, applies, n in reference_lines(connection, instrument, wave_id):
        key = (wave_id, group.respondent_role or NONE, group.validated, variable_id,
               value or NONE, applies)  # fmt: skip
        counts.answers[key] += n
    for status, role, validated, n in connection.execute(
        select(Interview.status, Interview.respondent_role, VALIDATED, func.count())
        .where(Interview.wave_id == wave_id)
        .group_by(Interview.status, Interview.respondent_role, VALIDATED)
    ):
        counts.statuses[wave_id, status, role or NONE, bool(validated)] += n
    return counts


def stored_counts(connection: Connection, wave_id: int) -> Counts:
    """The counters as kept."""
    counts = Counts()
    for *key, n in connection.execute(
        select(*_key(AnswerCount), AnswerCount.interviews)
        .where(AnswerCount.wave_id == wave_id, AnswerCount.interviews != 0)
    ):
        counts.answers[tuple(key)] += n
    for *key, n in connection.execute(
        select(*_key(InterviewCount), InterviewCount.interviews)
        .where(InterviewCount.wave_id == wave_id, InterviewCount.interviews != 0)
    ):  # fmt: skip
        counts.statuses[tuple(key)] += n
    return counts


def counted_lines(connection: Connection, wave_id: int) -> list[CountLine]:
    """The counters as count lines, in the reference's shape (`db.counting.reference_lines`):
    a few hundred rows whatever the number of interviews."""
    table = AnswerCount.__table__
    return [
        (Group(role or None, validated), variable_id, value or None, applies, n)
        for _, role, validated, variable_id, value, applies, n in connection.execute(
            select(table).where(table.c.wave_id == wave_id, table.c.interviews > 0)
        )
    ]


def status_lines(connection: Connection, wave_id: int) -> list[tuple[str, Group, int]]:
    """How many of the wave's interviews are in each status, per role and validation."""
    return [
        (status, Group(role or None, bool(validated)), n)
        for status, role, validated, n in connection.execute(
            select(InterviewCount.status, InterviewCount.respondent_role,
                   InterviewCount.validated, InterviewCount.interviews)
            .where(InterviewCount.wave_id == wave_id, InterviewCount.interviews > 0)
        )
    ]  # fmt: skip


# -- kept in step with every flush ---------------------------------------------------------

PENDING = "survey.counters"  # the session.info key of what this transaction touched


@dataclass
class _Pending:
    """What a transaction has touched: each interview as it stood before its first change,
    the answers changed through the ORM since, the interviews added (nothing before), and
    waves to rebuild instead."""

    held: dict[int, _Held] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)
    answers: dict[tuple[int, str], Answer] = field(default_factory=dict)
    added: list[Interview] = field(default_factory=list)
    rebuild: set[int] = field(default_factory=set)
    gone: set[int] = field(default_factory=set)  # waves deleted: their counters went with them
    difference: Counts = field(default_factory=Counts)  # counted by writers (`add_counted`)


def rebuild_at_commit(session: Session, wave_id: int) -> None:
    """For a write the ORM does not see (a bulk delete): rebuild the wave's counters at commit
    from the reference, instead of applying differences to them."""
    _pending(session).rebuild.add(wave_id)


def add_counted(session: Session, difference: Counts) -> None:
    """For a writer that changes interviews below the ORM, where these events cannot see
    (an import's bulk writes), and works out their difference itself from what it read and
    wrote: added to what is applied at commit."""
    _pending(session).difference.add(difference)


def _pending(session: Session) -> _Pending:
    found = session.info.get(PENDING)
    if not isinstance(found, _Pending):
        found = session.info[PENDING] = _Pending()
    return found


@event.listens_for(Session, "before_flush")
def _note_before(session: Session, context: UOWTransaction, instances: object) -> None:
    """Before a flush writes them, read the interviews it touches as they stand (only the
    first time in the transaction), and keep the answers it writes."""
    touched: set[int] = set()
    answers: list[Answer] = []
    added: list[Interview] = []
    for thing in (*session.new, *session.dirty, *session.deleted):
        if isinstance(thing, Answer) and thing.interview_id is not None:
            touched.add(thing.interview_id)
            answers.append(thing)
        elif isinstance(thing, Interview):
            if not inspect(thing).has_identity:
                added.append(thing)
            else:
                touched.add(thing.id)
        elif isinstance(thing, Wave) and thing in session.deleted:
            _pending(session).gone.add(thing.id)
    if not touched and not added:
        return
    pending = _pending(session)
    fresh = touched - pending.touched
    if fresh:
        pending.held |= _read(session.connection(), fresh)
        pending.touched |= fresh
    pending.answers |= {(a.interview_id, a.variable_id): a for a in answers}
    pending.added += added


@event.listens_for(Session, "after_flush")
def _note_added(session: Session, context: UOWTransaction) -> None:
    pending = session.info.get(PENDING)
    if isinstance(pending, _Pending) and pending.added:
        pending.touched |= {i.id for i in pending.added if i.id is not None}
        pending.added = [i for i in pending.added if i.id is None]


@event.listens_for(Session, "before_commit")
def _apply_at_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this event: its changes count too
    pending = session.info.pop(PENDING, None)
    if not isinstance(pending, _Pending):
        return
    connection = session.connection()
    difference = _after(session, pending)
    difference.add(_summed(pending.held.values()), -1)
    difference.add(pending.difference)
    for changes in (difference.answers, difference.statuses):
        for key in [k for k in changes if k[0] in pending.rebuild | pending.gone]:
            del changes[key]
    apply(connection, difference)
    for wave_id in sorted(pending.rebuild - pending.gone):
        rebuild(connection, wave_id)


def _after(session: Session, pending: _Pending) -> Counts:
    """The touched interviews' contributions now. An interview the session holds is read from
    its object, and once completed from the answers held before with the ORM's changes on top,
    so a save costs no second read; any other is read from the database."""
    after, unread = Counts(), []
    changed: dict[int, dict[str, Answer]] = {}
    for (interview_id, variable_id), answer in pending.answers.items():
        changed.setdefault(interview_id, {})[variable_id] = answer
    for interview_id in pending.touched:
        interview = session.identity_map.get(identity_key(Interview, interview_id))
        held = pending.held.get(interview_id)
        if not isinstance(interview, Interview) or inspect(interview).was_deleted:
            unread.append(interview_id)
            continue
        row = {name: getattr(interview, name) for name in READ}
        ours = changed.get(interview_id, {})
        if row["status"] != COMPLETED:
            after.add(contribution(None, row, {}))
        elif (held is None or held.answers is None or held.row["wave_id"] != row["wave_id"]
              or not all(inspect(a).persistent for a in ours.values())):  # fmt: skip
            # Not read before it was completed, or an answer deleted, or one whose write a
            # rolled-back savepoint took with it: the database says what stands.
            unread.append(interview_id)
        else:
            answers = dict(held.answers)
            for variable_id, answer in ours.items():
                if answer.value is None:
                    answers.pop(variable_id, None)
                else:
                    answers[variable_id] = answer.value or NONE
            after.add(contribution(held.instrument, row, answers))
    after.add(read_contributions(session.connection(), unread))
    return after


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)
