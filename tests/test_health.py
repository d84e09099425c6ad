"""`survey_cli.py check`, as a monitor calls it: one line per check, exit 0 only when every
one passes, and nothing changed or initialised on the way."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

import survey_cli
from db.models import AuditEvent
from ops.backup import write_backup
from ops.health import DEFAULT_BACKUP_HOURS, health
from services.accounts import add_account
from services.actor import Actor
from tests.test_audit_chain import rewrite_behind_the_app

ADMIN = Actor("ada", "admin")


def lines(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    code = survey_cli.main(["check", *extra])
    return code, capsys.readouterr().out.splitlines()


def test_a_healthy_deployment_passes_every_check__a_missing_backup_fails_one(
    engine: Engine, cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, said = lines(capsys)
    assert code == 1
    assert said[0] == "ok    database: reachable"
    assert said[1].startswith("ok    schema: current (migration ")
    assert said[2].startswith("ok    audit log: verified, ")
    assert said[3] == "FAIL  backup: none taken: `survey_cli.py backup --out FILE`"
    write_backup(engine, actor=ADMIN, out=tmp_path / "backup.json")
    code, said = lines(capsys)
    assert code == 0 and all(line.startswith("ok ") for line in said)
    assert said[3].startswith("ok    backup: last taken 0.0 hours ago (")


def test_an_old_backup_fails_after_the_hours_given(
    engine: Engine, cli_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_backup(engine, actor=ADMIN, out=tmp_path / "backup.json")
    checks = health(engine)
    assert checks[3].ok
    later = {c.name: c for c in health(engine, backup_hours=-1)}
    assert not later["backup"].ok and later["backup"].said.endswith("more than -1 hours")
    code, said = lines(capsys, "--backup-hours", "0")
    assert code == 1 and said[3].startswith("FAIL  backup: last taken ")
    assert DEFAULT_BACKUP_HOURS == 26


@pytest.mark.sqlite_only
def test_a_rewritten_audit_log_and_an_old_schema_each_fail_their_check(
    engine: Engine, cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Session(engine) as s:
        add_account(s, actor=ADMIN, username="auditor", role="auditor",
                    password="long enough pass")  # fmt: skip
        first = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
    rewrite_behind_the_app(engine, f"UPDATE audit_event SET reason = 'softened' WHERE id = {first}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    code, said = lines(capsys)
    assert code == 1
    assert said[1].startswith("FAIL  schema: at migration 0012, ")
    assert said[1].endswith(" expected: run `survey_cli.py init`")
    assert said[2].startswith(f"FAIL  audit log: Audit log chain broken at row {first} (")
    with engine.connect() as connection:  # the check changed nothing, migrated nothing
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0012"
        )


def test_an_unreachable_database_is_said_in_one_line_per_check_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nowhere")
    code, said = lines(capsys)
    assert code == 1 and len(said) == 4
    assert said[0].startswith("FAIL  database: not reachable (")
    assert said[1:] == [
        f"FAIL  {name}: not checked: the database is not reachable"
        for name in ("schema", "audit log", "backup")
    ]
