"""Moving a database that already holds answers between schema revisions: the data stays."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Council, Interview
from db.schema import _config, is_current, upgrade
from db.setup import initialise
from services.results import load_report
from tests.answering import complete_whole_interview
from tests.conftest import INTERVIEWER


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
        before = load_report(session, actor=INTERVIEWER, wave_key="2011")
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
        after = load_report(session, actor=INTERVIEWER, wave_key="2011")
    assert after.tallies == before.tallies
    assert after.tallies["q11_swia_used"].counts[saved["q11_swia_used"]] == 1
    engine.dispose()


def _indexes(engine) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("answer")}
