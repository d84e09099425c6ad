"""The council review lifecycle (services/review.py) and signed-in browser sessions
(services/sessions.py), through the services on every test database: confirm, request,
resolve, validate, and what a change to a validated submission costs; start, resume, idle
expiry, sign-out, disabling."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Answer, AuditEvent, Interview, ReviewItem, utcnow
from instrument.values import ValueProblem
from instrument.vocabulary import ReviewState
from services.accounts import disable_account, enable_account
from services.actor import Actor
from services.answers import save_answer
from services.interviews import ReasonRequired, update_details
from services.review import (
    confirm_answers,
    correction_requests,
    interview_review,
    request_correction,
    resolve_correction,
    validate_submission,
    wave_review_states,
)
from services.sessions import (
    DISABLED_MESSAGE,
    ENDED_MESSAGE,
    IDLE_MESSAGE,
    SessionEnded,
    end_session,
    resume_session,
    start_session,
)
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER, interview_id_of, table_checksums
from tests.signing import account

FIFE, ANGUS = "S12000047", "S12000041"
Q1, Q2 = "q1_most_involved", "q2_strategy_involvement"
ADMIN = Actor("ada", "admin")


def interview_id_ending_read(session: Session, code: str) -> int:
    found = interview_id_of(session, code)
    session.rollback()  # end the read: on SQLite every transaction holds the write lock
    return found


@pytest.fixture
def council(engine: Engine) -> Actor:
    return account(engine, "council", council=FIFE)


@pytest.fixture
def fife(engine: Engine, session: Session) -> int:
    """Fife's interview, completed with the typical answers (Q1 older people, Q2 yes)."""
    found = interview_id_ending_read(session, FIFE)
    complete_whole_interview(engine, INTERVIEWER, found)
    return found


def items(session: Session, interview: int) -> dict[str, tuple[str, str | None, str | None]]:
    session.expire_all()
    rows = session.scalars(select(ReviewItem).where(ReviewItem.interview_id == interview))
    return {r.variable_id: (r.state, r.comment, r.reply) for r in rows}


def logged(session: Session, prefix: str) -> list[tuple[str, str, str | None, str | None]]:
    """(who, action, new value, reason) of the audit rows whose action starts with prefix."""
    rows = session.execute(
        select(AuditEvent.username, AuditEvent.action, AuditEvent.new_value, AuditEvent.reason)
        .where(AuditEvent.action.startswith(prefix))
        .order_by(AuditEvent.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def validated(session: Session, interview: int) -> tuple[dt.datetime | None, str | None]:
    session.expire_all()
    row = session.get(Interview, interview)
    assert row is not None
    return row.validated_at, row.validated_by


def value_of(session: Session, interview: int, variable_id: str) -> tuple[str | None, int]:
    session.expire_all()
    row = session.scalar(
        select(Answer).where(Answer.interview_id == interview, Answer.variable_id == variable_id)
    )
    assert row is not None
    return row.value, row.version


def request(session: Session, council: Actor, interview: int, variable_id: str, text: str) -> None:
    request_correction(
        session, actor=council, interview_id=interview, variable_id=variable_id, comment=text
    )


def resolve(
    session: Session, interview: int, variable_id: str, *, changed: bool, reply: str | None = None
) -> None:
    resolve_correction(
        session,
        actor=INTERVIEWER,
        interview_id=interview,
        variable_id=variable_id,
        changed=changed,
        reply=reply,
    )


def save(session: Session, interview: int, variable_id: str, value: str, **kw: str) -> None:
    save_answer(
        session, actor=INTERVIEWER, interview_id=interview, variable_id=variable_id, value=value,
        **kw,
    )  # fmt: skip


def validate(session: Session, council: Actor, interview: int) -> None:
    validate_submission(session, actor=council, interview_id=interview)


# --- confirming -------------------------------------------------------------------------


def test_review_before_completion_is_refused_and_says_why(session: Session, council: Actor) -> None:
    angus_council = account(session.get_bind(), "council", council=ANGUS)  # type: ignore[arg-type]
    angus = interview_id_ending_read(session, ANGUS)
    save(session, angus, Q1, "older_people")
    with pytest.raises(ValueProblem, match="the interview is not complete yet"):
        confirm_answers(session, actor=angus_council, interview_id=angus, variable_ids=[Q1])
    with pytest.raises(ValueProblem, match="not complete yet"):
        validate(session, angus_council, angus)
    assert items(session, angus) == {}
    assert validated(session, angus) == (None, None)


def test_confirm__records_each_answer_once(session: Session, council: Actor, fife: int) -> None:
    assert confirm_answers(session, actor=council, interview_id=fife, variable_ids=[Q1, Q2]) == 2
    assert confirm_answers(session, actor=council, interview_id=fife, variable_ids=[Q1, Q2]) == 0
    assert items(session, fife) == {Q1: ("confirmed", None, None), Q2: ("confirmed", None, None)}
    assert logged(session, "review.") == [
        ("council-s12000047", "review.confirm", "confirmed", None),
        ("council-s12000047", "review.confirm", "confirmed", None),
    ]
    state, entries = interview_review(session, actor=council, interview_id=fife)
    assert state == ReviewState.AWAITING_COUNCIL
    assert not entries[Q1].changed_since and entries[Q1].reviewed_by == "council-s12000047"


def test_confirm__a_question_not_in_the_schedule_is_refused(
    session: Session, council: Actor, fife: int
) -> None:
    with pytest.raises(ValueProblem, match="not questions of this interview: q99_nothing"):
        confirm_answers(session, actor=council, interview_id=fife, variable_ids=[Q1, "q99_nothing"])
    assert items(session, fife) == {}


def test_changed_since__an_answer_changed_after_confirming_is_flagged_until_reconfirmed(
    session: Session, council: Actor, fife: int
) -> None:
    confirm_answers(session, actor=council, interview_id=fife, variable_ids=[Q1, Q2])
    save(session, fife, Q2, "no")
    _, entries = interview_review(session, actor=council, interview_id=fife)
    assert entries[Q2].changed_since and not entries[Q1].changed_since
    assert entries[Q2].state == "confirmed"
    assert confirm_answers(session, actor=council, interview_id=fife, variable_ids=[Q1, Q2]) == 1
    _, entries = interview_review(session, actor=council, interview_id=fife)
    assert not entries[Q2].changed_since
    assert len(logged(session, "review.confirm")) == 3


def test_changed_since__a_changed_note_alone_is_not_a_change_for_the_council(
    session: Session, council: Actor, fife: int
) -> None:
    confirm_answers(session, actor=council, interview_id=fife, variable_ids=[Q1])
    save_answer(session, actor=INTERVIEWER, interview_id=fife, variable_id=Q1, note="R hesitant")
    _, entries = interview_review(session, actor=council, interview_id=fife)
    assert not entries[Q1].changed_since and entries[Q1].state == "confirmed"


# --- requesting and resolving corrections -----------------------------------------------


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_request__without_a_comment_is_refused(
    session: Session, council: Actor, fife: int, comment: str
) -> None:
    with pytest.raises(ValueProblem, match="say what should change"):
        request(session, council, fife, Q2, comment)
    assert items(session, fife) == {}
    assert logged(session, "review.") == []


def test_request__goes_to_the_interviewer_and_holds_the_review(
    session: Session, council: Actor, fife: int
) -> None:
    request(session, council, fife, Q2, "  Users joined only in 2011.  ")
    assert items(session, fife) == {
        Q2: ("correction_requested", "Users joined only in 2011.", None)
    }
    state, _ = interview_review(session, actor=council, interview_id=fife)
    assert state == ReviewState.CORRECTIONS_REQUESTED
    (waiting,) = correction_requests(session, actor=INTERVIEWER, wave_key="2011")
    assert (waiting.council_name, waiting.variable_id, waiting.comment, waiting.reviewed_by) == (
        "Fife",
        Q2,
        "Users joined only in 2011.",
        "council-s12000047",
    )
    assert logged(session, "review.") == [
        (
            "council-s12000047",
            "review.request",
            "correction_requested",
            "Users joined only in 2011.",
        )
    ]


def test_resolve__corrected_is_refused_until_the_answer_changed(
    session: Session, council: Actor, fife: int
) -> None:
    request(session, council, fife, Q2, "It was No.")
    unchanged = "Q2 Users involved in strategy has not changed since the council asked"
    with pytest.raises(ValueProblem, match=unchanged):
        resolve(session, fife, Q2, changed=True)
    assert items(session, fife)[Q2][0] == "correction_requested"
    assert logged(session, "review.resolve") == []

    save(session, fife, Q2, "no")
    resolve(session, fife, Q2, changed=True)
    assert items(session, fife) == {Q2: ("corrected", "It was No.", None)}
    assert correction_requests(session, actor=INTERVIEWER, wave_key="2011") == []
    assert logged(session, "review.resolve") == [("ilona", "review.resolve", "corrected", None)]
    state, entries = interview_review(session, actor=council, interview_id=fife)
    assert state == ReviewState.AWAITING_COUNCIL
    assert entries[Q2].resolved_by == "ilona" and entries[Q2].resolved_at is not None


def test_resolve__an_answer_changed_back_to_what_the_council_queried_is_not_corrected(
    session: Session, council: Actor, fife: int
) -> None:
    request(session, council, fife, Q2, "It was No.")
    save(session, fife, Q2, "no")
    save(session, fife, Q2, "yes")  # back to the answer the council asked to correct
    with pytest.raises(ValueProblem, match="has not changed since the council asked"):
        resolve(session, fife, Q2, changed=True)


def test_resolve__keeping_the_answer_needs_a_reply(
    session: Session, council: Actor, fife: int
) -> None:
    request(session, council, fife, Q1, "Carers too.")
    for reply in (None, "", "  "):
        with pytest.raises(ValueProblem, match="say why the answer stays as it is"):
            resolve(session, fife, Q1, changed=False, reply=reply)
    assert items(session, fife)[Q1][0] == "correction_requested"
    resolve(session, fife, Q1, changed=False, reply=" Carers come under Q5. ")
    assert items(session, fife) == {Q1: ("kept", "Carers too.", "Carers come under Q5.")}
    assert value_of(session, fife, Q1) == ("older_people", 1)
    assert logged(session, "review.resolve") == [
        ("ilona", "review.resolve", "kept", "Carers come under Q5.")
    ]
    none_open = "there is no open correction request on Q1 Client group most involved"
    with pytest.raises(ValueProblem, match=none_open):
        resolve(session, fife, Q1, changed=False, reply="again")


# --- validating ---------------------------------------------------------------------------


def test_validate__refused_while_a_request_is_open_then_accepted(
    session: Session, council: Actor, fife: int
) -> None:
    request(session, council, fife, Q2, "It was No.")
    request(session, council, fife, Q1, "Carers too.")
    with pytest.raises(ValueProblem, match=rf"2 correction request\(s\) still wait .*: {Q1}, {Q2}"):
        validate(session, council, fife)
    assert validated(session, fife) == (None, None)
    resolve(session, fife, Q1, changed=False, reply="Carers come under Q5.")
    with pytest.raises(ValueProblem, match=rf"1 correction request\(s\) still wait .*: {Q2}"):
        validate(session, council, fife)

    save(session, fife, Q2, "no")
    resolve(session, fife, Q2, changed=True)
    before = utcnow()
    validate(session, council, fife)
    at, by = validated(session, fife)
    assert by == "council-s12000047" and at is not None and at >= before - dt.timedelta(seconds=1)
    assert logged(session, "review.validate") == [
        ("council-s12000047", "review.validate", "validated", None)
    ]
    assert interview_review(session, actor=council, interview_id=fife)[0] == ReviewState.VALIDATED
    with pytest.raises(ValueProblem, match="this submission was validated on"):
        request(session, council, fife, Q1, "One more thing.")
    with pytest.raises(ValueProblem, match="this submission was validated on"):
        validate(session, council, fife)


def test_validated__a_change_without_a_reason_is_refused_and_changes_nothing(
    session: Session, council: Actor, fife: int
) -> None:
    validate(session, council, fife)
    before = table_checksums(session)
    for reason in (None, "", "   "):
        with pytest.raises(
            ReasonRequired, match=r"Fife validated this submission on .*give a reason"
        ):
            save(session, fife, Q2, "no", **({"reason": reason} if reason is not None else {}))
    with pytest.raises(ReasonRequired, match="the interview details"):
        update_details(
            session, actor=INTERVIEWER, interview_id=fife, respondent_name="Someone else"
        )
    session.rollback()
    assert table_checksums(session) == before
    save(session, fife, Q2, "yes")  # saving what is already there is no change: no reason asked
    assert table_checksums(session) == before


def test_validated__a_change_with_a_reason_saves_and_reopens_validation(
    session: Session, council: Actor, fife: int
) -> None:
    validate(session, council, fife)
    save(session, fife, Q2, "no", reason="The council's letter of 3 October")
    assert value_of(session, fife, Q2) == ("no", 2)
    assert validated(session, fife) == (None, None)
    assert logged(session, "review.validation_reopened") == [
        ("ilona", "review.validation_reopened", "not validated",
         "Q2: The council's letter of 3 October"),
    ]  # fmt: skip
    old = session.scalar(
        select(AuditEvent.old_value).where(AuditEvent.action == "review.validation_reopened")
    )
    assert old == "validated by council-s12000047"
    assert logged(session, "answer.value")[-1] == (
        "ilona", "answer.value", "no", "The council's letter of 3 October",
    )  # fmt: skip
    states = wave_review_states(session, actor=INTERVIEWER, wave_key="2011")
    assert states[fife] == ReviewState.AWAITING_COUNCIL
    # the council can review and validate again; the next change needs no reason until then
    save(session, fife, Q2, "yes")
    validate(session, council, fife)
    assert validated(session, fife)[1] == "council-s12000047"


def test_validated__a_changed_note_alone_needs_no_reason_and_keeps_validation(
    session: Session, council: Actor, fife: int
) -> None:
    validate(session, council, fife)
    save_answer(session, actor=INTERVIEWER, interview_id=fife, variable_id=Q2, note="R hesitant")
    assert validated(session, fife)[1] == "council-s12000047"
    assert logged(session, "review.validation_reopened") == []
    assert logged(session, "answer.note")[-1][:3] == ("ilona", "answer.note", "R hesitant")


def test_wave_review_states__every_interview_at_its_stage(
    session: Session, council: Actor, fife: int
) -> None:
    states = wave_review_states(session, actor=INTERVIEWER, wave_key="2011")
    assert len(states) == 32
    assert states[fife] == ReviewState.AWAITING_COUNCIL
    assert set(states.values()) == {ReviewState.NOT_READY, ReviewState.AWAITING_COUNCIL}
    request(session, council, fife, Q2, "It was No.")
    assert wave_review_states(session, actor=INTERVIEWER, wave_key="2011")[fife] == (
        ReviewState.CORRECTIONS_REQUESTED
    )
    resolve(session, fife, Q2, changed=False, reply="Minutes show users attended.")
    assert (
        wave_review_states(session, actor=ADMIN, wave_key="2011")[fife]
        == ReviewState.AWAITING_COUNCIL
    )
    validate(session, council, fife)
    states = wave_review_states(session, actor=Actor("audrey", "auditor"), wave_key="2011")
    assert states[fife] == ReviewState.VALIDATED
    assert sorted(states.values()).count(ReviewState.NOT_READY) == 31


# --- browser sessions ---------------------------------------------------------------------

T0 = dt.datetime(2011, 9, 1, 9, 0)


def test_session__start_resume_end(session: Session, engine: Engine) -> None:
    who = account(engine, "interviewer", username="ilona")
    token = start_session(session, who, now=T0)
    assert len(token) >= 40
    assert resume_session(session, token, now=T0 + dt.timedelta(minutes=5)) == who
    end_session(session, token, who)
    for attempt in (T0 + dt.timedelta(minutes=6), T0):
        with pytest.raises(SessionEnded, match=ENDED_MESSAGE):
            resume_session(session, token, now=attempt)
    end_session(session, token, who)  # twice is harmless, and logged once
    assert [(a[1], a[3]) for a in logged(session, "sign")] == [
        ("signin", None),
        ("signout", "signed out"),
    ]


def test_session__an_unknown_token_signs_no_one_in(session: Session, engine: Engine) -> None:
    start_session(session, account(engine, "interviewer", username="ilona"), now=T0)
    with pytest.raises(SessionEnded, match=ENDED_MESSAGE):
        resume_session(session, "not-a-token", now=T0)


def test_session__council_resumes_with_its_council(session: Session, council: Actor) -> None:
    token = start_session(session, council)
    resumed = resume_session(session, token)
    assert (resumed.role, resumed.council_code) == ("council", FIFE)


def test_session__activity_keeps_it_alive_and_30_idle_minutes_end_it(
    session: Session, engine: Engine
) -> None:
    who = account(engine, "interviewer", username="ilona")
    token = start_session(session, who, now=T0)
    minutes = [20, 45, 74]  # each within 30 minutes of the one before
    for m in minutes:
        assert resume_session(session, token, now=T0 + dt.timedelta(minutes=m)) == who
    with pytest.raises(SessionEnded) as ended:
        resume_session(session, token, now=T0 + dt.timedelta(minutes=74 + 31))
    assert str(ended.value) == IDLE_MESSAGE
    with pytest.raises(SessionEnded, match=ENDED_MESSAGE):  # and it stays ended
        resume_session(session, token, now=T0 + dt.timedelta(minutes=74 + 32))
    assert logged(session, "signout") == [("ilona", "signout", None, "30 minutes without activity")]


def test_session__disabling_the_account_ends_it_for_good(session: Session, engine: Engine) -> None:
    who = account(engine, "interviewer", username="ilona")
    token = start_session(session, who)
    disable_account(session, actor=ADMIN, username="ilona", reason="left the team")
    with pytest.raises(SessionEnded) as ended:
        resume_session(session, token)
    assert str(ended.value) == DISABLED_MESSAGE
    assert logged(session, "signout") == [("ilona", "signout", None, "account disabled")]
    enable_account(session, actor=ADMIN, username="ilona")
    with pytest.raises(SessionEnded, match=ENDED_MESSAGE):  # re-enabling needs a new sign-in
        resume_session(session, token)
