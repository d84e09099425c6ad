"""`survey_cli.py backup` and `restore`: a restored database gives the identical export, report
and audit log, on either database from either database, even when the backup was taken while
another process was saving answers; a restore refuses a database with data, or a damaged file,
and then changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import db
import survey_cli
from db.engine import make_engine
from db.models import AnswerHistory, AuditEvent, Base
from db.setup import initialise
from ops.backup import restore_backup, write_backup
from ops.demo import fill_demo_wave
from services.accounts import add_account
from services.actor import Actor
from services.answers import save_answer
from services.audit_log import export_csv
from services.fieldwork import record_contact
from services.permissions import PermissionDenied
from services.themes import create_theme, merge_themes
from tests.conftest import (
    DATABASES,
    INTERVIEWER,
    PostgresTestDatabase,
    TableChecksum,
    interview_id_of,
    table_checksums,
)
from tests.test_crash import (
    CHILD_ACTOR,
    STREAM_COUNCIL,
    Child,
    assert_sound,
    no_child_left,  # noqa: F401  (autouse: a writer a failed test leaves is killed)
    table_rows,
)

pytestmark = pytest.mark.slow

ADMIN = Actor("root", "admin")
WAVES = ("2011", "demo")
PASSWORD = "correct horse battery"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator:  # type: ignore[type-arg]
    """Run `survey_cli.py` in-process against a URL: (exit code, stdout, stderr)."""

    def run(url: str, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        for engine in db._engines.values():
            engine.dispose()
        db._engines.clear()
        code = survey_cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    for engine in db._engines.values():
        engine.dispose()
    db._engines.clear()


@pytest.fixture
def other_database(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """The URL of an empty database of the given kind to restore into (PostgreSQL: the test
    database, emptied, so take what you need from it first)."""

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        postgres: PostgresTestDatabase = request.getfixturevalue("postgres_database")
        postgres.empty()
        return postgres.url

    return make


def fill(engine: Engine) -> None:
    """Something of everything: the demo wave, answers changed twice in 2011 (formula-like and
    accented text included), a contact attempt, and accounts, whose changes are audited."""
    with Session(engine) as session:
        fill_demo_wave(session, actor=ADMIN)
    interview_id = interview_id_of(engine, STREAM_COUNCIL)
    for value, note in (("no", None), ("yes", "=SUM(A1) — £5, café")):
        with Session(engine) as session:
            save_answer(
                session,
                actor=INTERVIEWER,
                interview_id=interview_id,
                variable_id="q11_swia_used",
                value=value,
                note=note,
            )
    with Session(engine) as session:
        record_contact(
            session,
            actor=INTERVIEWER,
            interview_id=interview_id_of(engine, "S12000033"),
            attempted_at=dt.datetime(2011, 9, 2, 10, 30),
            outcome="left_message",
            note="Asked for the director's diary",
        )
    with Session(engine) as session:
        add_account(session, actor=ADMIN, username="ailsa", role="interviewer", password=PASSWORD)
        add_account(
            session,
            actor=ADMIN,
            username="fife",
            role="council",
            password=PASSWORD,
            council="S12000047",
        )
    with Session(engine) as session:  # a theme whose parent was made after it (a merge)
        for name, parent in (("Training", None), ("CIPFA courses", "Training"), ("Skills", None)):
            create_theme(session, actor=INTERVIEWER, wave_key="2011", name=name,
                         variables=["q15_skills_capacity"], parent=parent)  # fmt: skip
        merge_themes(session, actor=INTERVIEWER, wave_key="2011", theme="Training", into="Skills")


BACKUP_EVENTS = ("backup.take", "backup.restore")


def held_rows(engine: Engine) -> dict[str, TableChecksum]:
    """Every row of every table, as `table_rows`, but for the audit log's rows about taking
    and restoring backups: each database logs its own, after the snapshot or the load."""
    only = {table.name: true() for table in Base.metadata.sorted_tables}
    only["audit_event"] = AuditEvent.action.not_in(BACKUP_EVENTS)
    with engine.connect() as connection:
        return table_checksums(connection, only)


def outputs(cli, url: str, folder: Path, waves=WAVES) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """What auditors see: each wave's export and JSON report, and the audit log."""
    folder.mkdir(exist_ok=True)
    seen = {}
    for wave in waves:
        for name, args in (
            (f"export {wave}", ["export", "--wave", wave, "--include-unvalidated", "--out"]),
            (f"report {wave}", ["report", "--wave", wave, "--format", "json", "--out"]),
        ):
            path = folder / name.replace(" ", "-")
            assert cli(url, *args, str(path))[0] == 0
            seen[name] = path.read_bytes()
    engine = make_engine(url)
    with Session(engine) as session:
        seen["audit log"] = export_csv(session, actor=ADMIN).encode()
    engine.dispose()
    return seen


@pytest.mark.parametrize("target", DATABASES)
def test_restore__gives_the_identical_export_report_and_audit_log(
    engine: Engine, database_url: str, target: str, cli, other_database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fill(engine)
    before = outputs(cli, database_url, tmp_path / "before")
    rows_before = table_rows(engine)
    backup = tmp_path / "survey.backup"
    code, out, _ = cli(database_url, "backup", "--out", str(backup))
    assert code == 0 and "Backed up" in out
    assert backup.stat().st_mode & 0o077 == 0  # it holds password hashes: owner only
    with Session(engine) as session:  # taking it is in the log, after what it holds
        taken = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (taken.action, taken.target) == ("backup.take", "survey.backup")
    engine.dispose()

    restored_url = other_database(target)
    code, out, err = cli(restored_url, "restore", str(backup))
    assert (code, err) == (0, "")
    assert "Restored" in out

    after = outputs(cli, restored_url, tmp_path / "after")
    assert {k: v for k, v in after.items() if k != "audit log"} == {
        k: v for k, v in before.items() if k != "audit log"
    }
    # the audit log as it was, and then the restore itself
    *kept, restore = after["audit log"].splitlines()
    assert kept == before["audit log"].splitlines()
    assert b",backup.restore,survey.backup," in restore
    restored = make_engine(restored_url)
    rows_after = table_rows(restored)  # every row of every table, ids included
    assert {t: c for t, c in rows_after.items() if t != "audit_event"} == {
        t: c for t, c in rows_before.items() if t != "audit_event"
    }
    assert rows_after["audit_event"].rows == rows_before["audit_event"].rows + 1
    assert_sound(restored)
    with Session(restored) as session:  # the audit log is still append-only, and goes on
        last_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        add_account(session, actor=ADMIN, username="morag", role="auditor", password=PASSWORD)
        assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) > (
            last_id
        )
    for statement in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), restored.begin() as connection:
            connection.execute(text(statement))
    restored.dispose()


def test_restore__refuses_a_database_that_holds_data__and_changes_nothing(
    engine: Engine, database_url: str, cli, fresh_database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source = fresh_database("source")
    fill(source)
    backup = tmp_path / "survey.backup"
    assert cli(str(source.url), "backup", "--out", str(backup))[0] == 0
    with Session(engine) as session:
        save_answer(
            session,
            actor=INTERVIEWER,
            interview_id=interview_id_of(engine, STREAM_COUNCIL),
            variable_id="q2_explain",
            value="Already typed in",
        )
    before = table_rows(engine)

    code, out, err = cli(database_url, "restore", str(backup))

    assert code == 2 and out == ""
    assert "error [backup.refused]: the database is not empty (" in err
    assert "answer has 1 row;" in err
    assert table_rows(engine) == before


def cut_short(lines: list[bytes]) -> list[bytes]:
    return lines[:-3]


def altered(lines: list[bytes]) -> list[bytes]:
    row = json.loads(lines[-2])
    row[1][-1] = "changed"
    return [*lines[:-2], json.dumps(row).encode() + b"\n", lines[-1]]


def not_a_backup(lines: list[bytes]) -> list[bytes]:
    return [b"council_code,council_name,status\n", b"S12000033,Aberdeen City,completed\n"]


DAMAGES = {
    "the backup is incomplete (it has no closing line)": cut_short,
    "the backup was altered or damaged (checksum differs)": altered,
    "not a line of a backup": not_a_backup,
}


@pytest.fixture
def backup_and_target(
    database_url: str, cli, fresh_database, tmp_path: Path
) -> Iterator[tuple[Engine, Path, Engine]]:  # type: ignore[no-untyped-def]
    """A filled database, its backup, and the empty, initialised database to restore into."""
    source = fresh_database("source")
    fill(source)
    good = tmp_path / "survey.backup"
    assert cli(str(source.url), "backup", "--out", str(good))[0] == 0
    target = make_engine(database_url)
    initialise(target)
    yield source, good, target
    target.dispose()


def test_restore__refuses_a_damaged_file__and_changes_nothing(
    database_url: str, cli, backup_and_target, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source, good, target = backup_and_target
    before = table_rows(target)

    for says, damage in DAMAGES.items():
        damaged = tmp_path / "damaged.backup"
        damaged.write_bytes(b"".join(damage(good.read_bytes().splitlines(keepends=True))))
        code, _, err = cli(database_url, "restore", str(damaged))
        assert code == 2 and says in err, damage.__name__
        assert table_rows(target) == before, damage.__name__

    assert cli(database_url, "restore", str(good))[0] == 0  # and the good file still restores
    assert held_rows(target) == held_rows(source)


def resealed(lines: list[bytes]) -> list[bytes]:
    """Checksum and row counts made again over the lines as they now are, as an attacker would."""
    digest, rows = hashlib.sha256(), Counter[str]()
    for line in lines[:-1]:
        digest.update(line)
        item = json.loads(line)
        if isinstance(item, list):
            rows[item[0]] += 1
    header = json.loads(lines[0])
    counts = {name: rows[name] for name in header["tables"]}
    end = {"end": {"rows": counts, "sha256": digest.hexdigest()}}
    return [*lines[:-1], json.dumps(end).encode() + b"\n"]


def audit_lines(lines: list[bytes]) -> list[int]:
    return [n for n, line in enumerate(lines) if line.startswith(b'["audit_event",')]


def audit_row_changed(
    lines: list[bytes],
    index: int,
    change: Callable[[list], None],  # type: ignore[type-arg]
) -> list[bytes]:
    """The backup with its index-th audit row's values changed in place, then resealed."""
    n = audit_lines(lines)[index]
    row = json.loads(lines[n])
    change(row[1])
    return resealed([*lines[:n], json.dumps(row).encode() + b"\n", *lines[n + 1 :]])


def audit_reason_edited(lines: list[bytes]) -> list[bytes]:
    return audit_row_changed(lines, 1, lambda values: values.__setitem__(8, "no reason given"))


def audit_row_removed(lines: list[bytes]) -> list[bytes]:
    n = audit_lines(lines)[0]
    return resealed([*lines[:n], *lines[n + 1 :]])


def audit_row_too_short(lines: list[bytes]) -> list[bytes]:
    return audit_row_changed(lines, 0, lambda values: values.__delitem__(slice(3, None)))


def audit_time_not_a_time(lines: list[bytes]) -> list[bytes]:
    return audit_row_changed(lines, 0, lambda values: values.__setitem__(1, "yesterday"))


def audit_id_not_a_number(lines: list[bytes]) -> list[bytes]:
    return audit_row_changed(lines, 0, lambda values: values.__setitem__(0, "first"))


BROKEN_CHAIN = "the backup's audit log does not verify: Audit log chain broken at row 2 ("
DOES_NOT_FIT = "a row of audit_event whose values do not fit its columns"
REWRITES = [
    (audit_reason_edited, BROKEN_CHAIN, "its contents are not what was written"),
    (audit_row_removed, BROKEN_CHAIN, "it does not follow the row before it"),
    (audit_row_too_short, DOES_NOT_FIT, "line "),
    (audit_time_not_a_time, DOES_NOT_FIT, "line "),
    (audit_id_not_a_number, "a row of audit_event in the backup could not be written (", ")"),
]


def test_restore__refuses_an_edited_audit_log_with_a_new_checksum__and_changes_nothing(
    database_url: str, cli, backup_and_target, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The checksum only shows accidents: whoever edits the file can make it again. The hash
    chain shows the edit anyway, and a row that no longer fits is refused in words."""
    source, good, target = backup_and_target
    before = table_rows(target)
    lines = good.read_bytes().splitlines(keepends=True)
    assert resealed(lines) == lines  # the attacker's tool makes the checksum the backup made

    for rewrite, says, why in REWRITES:
        rewritten = tmp_path / f"{rewrite.__name__}.backup"
        rewritten.write_bytes(b"".join(rewrite(lines)))
        code, out, err = cli(database_url, "restore", str(rewritten))
        assert (code, out) == (2, ""), rewrite.__name__
        assert err.startswith("error [backup.refused]: ") and says in err and why in err, (
            rewrite.__name__,
            err,
        )
        assert "Traceback" not in err
        assert table_rows(target) == before, rewrite.__name__

    assert cli(database_url, "restore", str(good))[0] == 0
    assert held_rows(target) == held_rows(source)


def test_backup_while_another_process_saves__restores_one_instant(
    engine: Engine, database_url: str, cli, fresh_database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The snapshot holds exactly the first k saves of a writer that never paused: nothing
    torn, and the same export and report as a database given just those k saves."""
    with Session(engine) as session:
        add_account(session, actor=ADMIN, username="ailsa", role="interviewer", password=PASSWORD)
    interview_id = interview_id_of(engine, STREAM_COUNCIL)
    writer = Child(f"stream_autosaves({database_url!r}, {interview_id})")
    acknowledged = writer.acks(20) + writer.acks_so_far()
    committed_before = len(acknowledged)  # before the backup began
    backup = tmp_path / "survey.backup"
    assert cli(database_url, "backup", "--out", str(backup))[0] == 0
    acknowledged += writer.acks_so_far() + writer.acks(20)  # it went on saving after the backup
    writer.kill()
    audit_after = outputs(cli, database_url, tmp_path / "source", ["2011"])["audit log"]

    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    assert cli(restored_url, "restore", str(backup))[0] == 0
    restored = make_engine(restored_url)
    assert_sound(restored)
    with Session(restored) as session:
        snapshot = session.execute(
            select(AnswerHistory.variable_id, AnswerHistory.new_value, AnswerHistory.version)
            .where(AnswerHistory.interview_id == interview_id)
            .order_by(AnswerHistory.id)
        ).all()
    restored.dispose()
    k = len(snapshot)
    assert committed_before <= k < len(acknowledged)
    assert [tuple(r) for r in snapshot] == acknowledged[:k]

    replayed = fresh_database("replayed")
    for variable, value, _ in acknowledged[:k]:
        with Session(replayed) as session:
            save_answer(
                session,
                actor=CHILD_ACTOR,
                interview_id=interview_id,
                variable_id=variable,
                value=value,
            )
    restored_out = outputs(cli, restored_url, tmp_path / "restored", ["2011"])
    replayed_out = outputs(cli, str(replayed.url), tmp_path / "replayed", ["2011"])
    assert {n: v for n, v in restored_out.items() if n != "audit log"} == {
        n: v for n, v in replayed_out.items() if n != "audit log"
    }
    *held, restore = restored_out["audit log"].splitlines(keepends=True)
    assert b",backup.restore," in restore
    assert audit_after.startswith(b"".join(held))  # the log up to that instant


def test_only_an_administrator_backs_up_or_restores__a_refusal_is_logged(
    engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "survey.backup"
    with pytest.raises(PermissionDenied, match="an interviewer account may not back up"):
        write_backup(engine, actor=INTERVIEWER, out=out)
    assert not out.exists()
    write_backup(engine, actor=ADMIN, out=out)
    with pytest.raises(PermissionDenied, match="an interviewer account may not back up"):
        restore_backup(engine, actor=INTERVIEWER, source=out)
    with Session(engine) as s:
        refusals = s.scalars(
            select(AuditEvent.target).where(AuditEvent.action == "permission.denied")
        ).all()
    assert refusals == ["take a backup", "restore a backup"]


def test_signed_backup__restores_only_with_its_key__and_an_unsigned_one_not_with_a_key(
    database_url: str, cli, fresh_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """With SURVEY_BACKUP_KEY set, backups carry an HMAC: an edit resealed with a new checksum
    and even a rebuilt audit chain no longer passes, since the key is not in the file."""
    source = fresh_database("source")
    fill(source)
    monkeypatch.setenv("SURVEY_BACKUP_KEY", "a key kept apart from the backups")
    signed = tmp_path / "signed.backup"
    assert cli(str(source.url), "backup", "--out", str(signed))[0] == 0
    lines = signed.read_bytes().splitlines(keepends=True)
    assert b'"hmac_sha256"' in lines[-1]
    target = make_engine(database_url)
    initialise(target)
    before = table_rows(target)

    resealed_copy = tmp_path / "resealed.backup"
    resealed_copy.write_bytes(b"".join(resealed(lines)))  # checksum remade, signature dropped
    code, _, err = cli(database_url, "restore", str(resealed_copy))
    assert code == 2 and "the backup is not signed, and SURVEY_BACKUP_KEY is set" in err

    monkeypatch.setenv("SURVEY_BACKUP_KEY", "another key")
    code, _, err = cli(database_url, "restore", str(signed))
    assert code == 2 and "the signature does not match" in err

    monkeypatch.delenv("SURVEY_BACKUP_KEY")
    code, _, err = cli(database_url, "restore", str(signed))
    assert code == 2 and "the backup is signed; set SURVEY_BACKUP_KEY" in err
    assert table_rows(target) == before

    monkeypatch.setenv("SURVEY_BACKUP_KEY", "a key kept apart from the backups")
    assert cli(database_url, "restore", str(signed))[0] == 0
    assert held_rows(target) == held_rows(source)
    target.dispose()
