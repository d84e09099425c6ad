"""Moving a database that already holds answers between schema revisions: the data stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import db
from db.engine import make_engine
from db.models import Answer, Council, Interview, Wave
from db.schema import _config, head_revision, is_current, upgrade
from db.setup import initialise, is_initialised
from instrument.loader import instrument_text, schedule_sha256
from services.codings import code_answer, my_codings
from services.frames import sample_frames
from services.results import load_report
from tests.answering import complete_whole_interview, open_answers_to_code
from tests.conftest import INTERVIEWER
from tests.signing import account


def test_down_to_0003_and_up_again__answers_kept__counted_through_the_coded_index(
    tmp_path: Path,
) -> None:
    """A database from before the coded answer index (migration 0004) upgrades on start with
    its answers intact, and the report counts them as before. SQLite only: the shared
    PostgreSQL test database must stay at the current schema for the other tests."""
    engine = make_engine(f"sqlite:///{tmp_path / 'survey.sqlite3'}")
    initialise(engine)
    with Session(engine) as session:
        angus = session.scalar(
            select(Interview.id).join(Council).where(Council.code == "S12000041")
        )
    saved = complete_whole_interview(engine, INTERVIEWER, angus)
    with Session(engine) as session:
        before = load_report(session, actor=INTERVIEWER, wave_key="2011", include_unvalidated=True)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert not is_current(engine)
    assert "ix_answer_coded" not in _indexes(engine)

    upgrade(engine)

    assert is_current(engine)
    indexes = _indexes(engine)
    assert indexes["ix_answer_coded"] == ["variable_id", "interview_id", "value"]
    assert "ix_answer_interview_id" not in indexes
    with Session(engine) as session:
        after = load_report(session, actor=INTERVIEWER, wave_key="2011", include_unvalidated=True)
    assert after.tallies == before.tallies
    assert after.tallies["q11_swia_used"].counts[saved["q11_swia_used"]] == 1
    engine.dispose()


def _indexes(engine) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("answer")}


def _downgraded_with_answers(tmp_path: Path, revision: str) -> Engine:
    """A database with Angus's whole interview recorded, then taken back to `revision`."""
    engine = make_engine(f"sqlite:///{tmp_path / 'survey.sqlite3'}")
    initialise(engine)
    with Session(engine) as session:
        angus = session.scalar(
            select(Interview.id).join(Council).where(Council.code == "S12000041")
        )
    complete_whole_interview(engine, INTERVIEWER, angus)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    return engine


def test_a_database_from_before_0006__its_waves_pinned_to_the_schedule_they_were_read_with(
    tmp_path: Path,
) -> None:
    """Migration 0006 gives each existing wave the text of its schedule file and its SHA-256.
    SQLite only, as above."""
    engine = _downgraded_with_answers(tmp_path, "0005")
    assert "instrument_text" not in {c["name"] for c in inspect(engine).get_columns("wave")}

    upgrade(engine)

    text = instrument_text("schedule_2011")
    with Session(engine) as session:
        # The answers stay: the columns are added in place, the wave table is never copied
        # (a copy drops the table, and ON DELETE CASCADE would take every interview with it).
        assert session.scalar(select(Answer.value).where(Answer.variable_id == "q11_swia_used"))
        assert len(session.scalars(select(Interview)).all()) == 32
        wave = session.scalar(select(Wave).where(Wave.key == "2011"))
        assert wave is not None
        assert (wave.instrument_text, wave.instrument_sha256) == (text, schedule_sha256(text))
        assert wave.closed_at is None
    engine.dispose()


def test_a_database_from_before_0008__the_shipped_frames_become_rows__waves_of_them_kept(
    tmp_path: Path,
) -> None:
    """Migration 0008 adds the `sample_frame` table with the two shipped frames, whose keys
    every council and wave already names; nothing else is touched. SQLite only, as above."""
    engine = _downgraded_with_answers(tmp_path, "0007")
    assert "sample_frame" not in inspect(engine).get_table_names()

    upgrade(engine)

    with Session(engine) as session:
        frames = sample_frames(session, actor=INTERVIEWER)
        assert [(f.key, f.member, f.members, f.origin) for f in frames.values()] == [
            ("councils", "council", 32, "shipped with the survey"),
            ("partnerships", "partnership", 31, "shipped with the survey"),
        ]
        assert session.scalar(select(Answer.value).where(Answer.variable_id == "q11_swia_used"))
        assert len(session.scalars(select(Interview)).all()) == 32
    engine.dispose()


def test_down_to_0011_and_up_again__the_codings_kept(tmp_path: Path) -> None:
    """0012's column comes off and goes back on in place: a copy of the theme table would
    cascade into its codings. SQLite only, as above."""
    engine = make_engine(f"sqlite:///{tmp_path / 'survey.sqlite3'}")
    initialise(engine)
    ids = open_answers_to_code(engine, "q15_skills_capacity", {"Angus": "Training."}, ["Training"])
    with Session(engine) as session:
        code_answer(session, actor=INTERVIEWER, interview_id=ids["Angus"],
                    variable_id="q15_skills_capacity", theme="Training")  # fmt: skip
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    assert "report" not in {c["name"] for c in inspect(engine).get_columns("theme")}
    upgrade(engine)
    with Session(engine) as session:
        assert [c.theme for c in my_codings(session, actor=INTERVIEWER, interview_id=ids["Angus"],
                                            variable_id="q15_skills_capacity")] == ["Training"]
    engine.dispose()


def test_0014_lets_analyst_accounts_in__both_account_checks_kept__down_refused_while_one_exists(
    tmp_path: Path,
) -> None:
    """The role check is rebuilt by a batch copy of `account` on SQLite: the council check must
    come through it, and going down must not leave an account the old check forbids."""
    engine = make_engine(f"sqlite:///{tmp_path / 'survey.sqlite3'}")
    initialise(engine)
    account(engine, "analyst")
    config = _config()
    with pytest.raises(RuntimeError, match="1 analyst account"), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    assert is_current(engine)
    checks = {c["name"]: c["sqltext"] for c in inspect(engine).get_check_constraints("account")}
    assert "'analyst'" in checks["ck_account_role"]
    assert "council_id IS NOT NULL" in checks["ck_account_council_iff_council_role"]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM account WHERE role = 'analyst'"))
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO account (username, display_name, role, password_hash, active,"
                 " failed_attempts, created_at, can_read_verbatim)"
                 " VALUES ('ann', 'Ann', 'analyst', 'x', 1, 0, '2026-12-06', 0)")
        )  # fmt: skip
    upgrade(engine)
    account(engine, "analyst")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE account SET council_id = 1 WHERE role = 'analyst'"))
    engine.dispose()


def test_0019_history_read_by_interview__its_index__no_key_to_the_answer__rows_kept(
    tmp_path: Path,
) -> None:
    """Below 0019 the history is indexed by answer and keyed to it; above, indexed by what
    every reader asks (interview, variable, version), keyed to the interview alone, with
    every row kept both ways. SQLite only, as above."""
    engine = _downgraded_with_answers(tmp_path, "0018")
    history = "SELECT count(*) FROM answer_history"
    with engine.connect() as connection:
        rows = connection.scalar(text(history))
    keys = {k["referred_table"] for k in inspect(engine).get_foreign_keys("answer_history")}
    assert rows and keys == {"answer", "interview"}
    assert "ix_answer_history_answer_id" in _history_indexes(engine)

    upgrade(engine)

    assert _history_indexes(engine) == {
        "ix_answer_history_interview": ["interview_id", "variable_id", "version"]
    }
    assert [k["referred_table"] for k in inspect(engine).get_foreign_keys("answer_history")] == [
        "interview"
    ]
    with engine.connect() as connection:
        assert connection.scalar(text(history)) == rows
        plan = connection.execute(
            text("EXPLAIN QUERY PLAN SELECT * FROM answer_history WHERE interview_id = 1")
        ).all()
    assert "ix_answer_history_interview" in str(plan)  # not a scan of the whole table
    engine.dispose()


def _history_indexes(engine: Engine) -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("answer_history")}


def test_the_head_read_from_file_names_is_alembics_and_each_file_is_named_by_its_revision() -> None:
    """`is_current` reads the head from the migration files' names, not Alembic's graph (too
    slow to import for every command): the two must agree, and each name its revision."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_config())
    assert head_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")


def test_a_command_skips_initialising_only_a_database_initialised_before(tmp_path: Path) -> None:
    """The CLI's short cut (`open_database(if_needed=True)`): a new database, or one at the
    current schema whose councils or wave 2011 are missing, is still initialised in full."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    engine = make_engine(url)
    assert not is_initialised(engine)
    initialise(engine)
    assert is_initialised(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM interview"))
        connection.execute(text("DELETE FROM wave"))
    assert is_current(engine) and not is_initialised(engine)
    engine.dispose()
    db._engines.pop(url, None)
    opened = db.open_database(url, if_needed=True)
    assert is_initialised(opened)
    opened.dispose()
    db._engines.pop(url, None)
