"""The command line: init is idempotent, and nothing starts on an invalid instrument."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import db
import instrument.loader
import survey_cli
from db.engine import make_engine
from db.models import AuditEvent, Council, CouncilAlias, Interview, Wave
from instrument import load_instrument
from services.accounts import add_account
from services.actor import Actor
from tests.conftest import REPO
from tests.test_audit_chain import log_three, rewrite_behind_the_app
from tests.wave_builder import build_wave, columns, csv_bytes

ADMIN = Actor("ada", "admin")
SCHEDULE = load_instrument()


def counts(url: str) -> tuple[int, int, int, int]:
    engine = make_engine(url)
    with Session(engine) as s:
        result = tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (Council, CouncilAlias, Wave, Interview)
        )
    engine.dispose()
    return result  # type: ignore[return-value]


def test_init_creates_everything_once_and_is_idempotent(cli_db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert survey_cli.main(["init"]) == 0
    first = counts(cli_db)
    # the 32 councils and the 31 partnerships are seeded; wave 2011 surveys the councils
    assert first[0] == 32 + 31 and first[2] == 1 and first[3] == 32
    db._engines.clear()
    assert survey_cli.main(["init"]) == 0
    assert counts(cli_db) == first
    assert "Wave 2011: 32 councils." in capsys.readouterr().out


def test_status_prints_the_headline(cli_db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert survey_cli.main(["status", "--wave", "2011"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 of 32 councils interviewed (0.0%)")
    assert "S12000013  Na h-Eileanan Siar" in out


def test_unknown_wave_is_an_error_in_words(cli_db: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert survey_cli.main(["export", "--wave", "1999", "--out", "x.csv"]) == 2
    assert "there is no wave '1999'" in capsys.readouterr().err


@pytest.fixture
def broken_instrument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the schedule with a routing rule naming a variable that does not exist."""
    folder = tmp_path / "instrument"
    folder.mkdir()
    text = (REPO / "instrument" / "schedule_2011.yaml").read_text(encoding="utf-8")
    text = text.replace("asked_if: q11_swia_used = yes\n", "asked_if: q99_missing = yes\n", 1)
    (folder / "schedule_2011.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(instrument.loader, "INSTRUMENT_DIR", folder)
    return folder


def test_cli_refuses_to_start_on_an_invalid_instrument(
    broken_instrument: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'never.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(db, "_engines", {})
    assert survey_cli.main(["init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error [instrument.invalid]: ")
    assert "variable q11a_swia_usefulness: routing rule names unknown variable 'q99_missing'" in err
    assert not (tmp_path / "never.sqlite3").exists() or counts(url)[0] == 0


def test_app_refuses_to_start_on_an_invalid_instrument(
    broken_instrument: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    monkeypatch.setattr(db, "_engines", {})
    at = AppTest.from_file(str(REPO / "survey_app.py"), default_timeout=30).run()
    assert at.error[0].value == "The interview schedule is invalid, so the app will not start."
    assert "q99_missing" in at.text[0].value
    assert not at.dataframe and not at.radio


def test_audit_verify__an_intact_chain__says_so_and_gives_the_newest_hash(
    engine: Engine, cli_db: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    log_three(engine)
    assert survey_cli.main(["audit", "verify"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Audit log verified: 3 rows, chain intact."
    assert out[1].startswith("Newest hash: ") and len(out[1].split()[2]) == 64


def test_audit_verify__a_rewritten_row__is_named_and_exits_1(
    engine: Engine, cli_db: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    log_three(engine)
    rewrite_behind_the_app(engine, "UPDATE audit_event SET target = 'account b' WHERE id = 3")
    assert survey_cli.main(["audit", "verify"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: Audit log chain broken at row 3 (20")
    assert err.rstrip().endswith("UTC, account.add): its contents are not what was written.")


def audit_people(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with Session(engine) as s:
        rows = s.execute(select(AuditEvent.username, AuditEvent.action).order_by(AuditEvent.id))
        result = [(username, action) for username, action in rows]
    engine.dispose()
    return result


def test_as__a_named_account_acts_and_is_named_in_the_audit_log(
    cli_db: str, tmp_path: Path
) -> None:
    with Session(db.open_database()) as s:
        add_account(
            s, actor=ADMIN, username="ilona", role="interviewer", password="a long test password"
        )
    wave = tmp_path / "wave.csv"
    wave.write_bytes(csv_bytes(build_wave(SCHEDULE), columns(SCHEDULE)))
    assert survey_cli.main(["--as", "ilona", "import", "--wave", "2011", str(wave)]) == 0
    changes = [who for who, action in audit_people(cli_db) if action.startswith("answer.")]
    assert changes and set(changes) == {"ilona"}


def test_as__an_account_whose_role_may_not__is_refused_and_logged(
    cli_db: str, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    with Session(db.open_database()) as s:
        add_account(
            s, actor=ADMIN, username="morag", role="auditor", password="a long test password"
        )
    assert survey_cli.main(["--as", "morag", "demo"]) != 0
    assert "may not manage waves" in capsys.readouterr().err
    assert ("morag", "permission.denied") in audit_people(cli_db)


def test_as__an_unknown_or_disabled_account__is_refused_before_anything_is_done(
    cli_db: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    assert survey_cli.main(["--as", "nobody", "demo"]) != 0
    assert "--as nobody: there is no active account" in capsys.readouterr().err
    assert not [a for _, a in audit_people(cli_db) if a.startswith("answer")]


def test_without_as__the_operator_at_the_terminal_is_named(cli_db: str) -> None:
    assert survey_cli.main(["demo"]) == 0
    people = {who for who, action in audit_people(cli_db) if action == "answer.value"}
    assert people == {f"operator:{getpass.getuser()}"}


def test_output_piped_into_a_reader_that_stops__no_traceback(tmp_path: Path) -> None:
    """`survey_cli.py status | true`: the reader is gone before the command writes (as `head`
    may be), and the command ends without a Python traceback on the terminal."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'survey.sqlite3'}"}
    command = f"{sys.executable} survey_cli.py status | true"
    done = subprocess.run(command, shell=True, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.stderr == ""
