"""The two-role PostgreSQL set-up: the owner migrates, the app's role keys answers and appends
to the audit log, and cannot rewrite the log however it tries (issue 11).

PostgreSQL only: it needs TEST_DATABASE_URL's server, where it makes a throwaway database and
a throwaway login role, and drops both.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import AuditEvent, Council, Interview
from db.setup import initialise
from ops.app_role import RoleProblem, app_role_grants, grant_app_role
from services.answers import save_answer
from services.audit_log import verify_chain
from tests.conftest import INTERVIEWER, POSTGRES_URL, REPO, throwaway_postgres

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")
ADMIN = INTERVIEWER.__class__("admin", "admin")
REWRITES = [
    "UPDATE audit_event SET reason = 'rewritten'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "DROP TABLE audit_event",
    "INSERT INTO alembic_version VALUES ('0000')",
]


@pytest.fixture
def owner_and_app() -> Iterator[tuple[str, str]]:
    """(owner's URL, app role's URL) on a throwaway database migrated by the owner."""
    role = f"survey_app_{uuid.uuid4().hex[:8]}"
    try:
        with throwaway_postgres("roles") as owner_url:
            owner = make_engine(owner_url)
            initialise(owner)
            with owner.begin() as connection:
                connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            owner.dispose()
            yield owner_url, make_url(owner_url).set(username=role).render_as_string(False)
    finally:  # the database (and the role's grants in it) is gone: now the role can go
        server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database="postgres")
        cleanup = create_engine(server, isolation_level="AUTOCOMMIT")
        with cleanup.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        cleanup.dispose()


def test_grants__the_log_append_only_and_the_migration_marker_read_only() -> None:
    statements = app_role_grants("survey_app")
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM "survey_app"' in statements
    assert 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM "survey_app"' in (
        statements
    )
    with pytest.raises(RoleProblem, match="not a role name"):
        app_role_grants('x"; DROP TABLE audit_event; --')


def test_the_app_role_keys_answers_and_cannot_rewrite_the_audit_log(
    owner_and_app: tuple[str, str],
) -> None:
    owner_url, app_url = owner_and_app
    # The owner grants with the command a deployment runs.
    role = make_url(app_url).username
    done = subprocess.run(
        [sys.executable, "survey_cli.py", "grant-app-role", role],
        cwd=REPO, env={"DATABASE_URL": owner_url, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Granted {role}" in done.stdout

    app = make_engine(app_url)
    initialise(app)  # the app starts as its own role: nothing to migrate, nothing to create
    with Session(app) as s:
        fife = s.scalar(select(Interview.id).join(Council).where(Council.code == "S12000047"))
        save_answer(
            s, actor=INTERVIEWER, interview_id=fife, variable_id="q1_most_involved",
            value="older_people",
        )  # fmt: skip
    with Session(app) as s:
        rows = s.scalar(select(func.count()).select_from(AuditEvent))
        assert rows and rows > 0
    refused = []
    for statement in REWRITES:
        with app.connect() as connection:
            try:
                connection.execute(text(statement))
                connection.commit()
            except DBAPIError as exc:
                refused.append((statement, str(exc.orig).splitlines()[0]))
    assert [s for s, _ in refused] == REWRITES, "an audit rewrite went through as the app role"
    # Refused by privilege, or (an UPDATE of a written text to anything but the erasure
    # marker, which the role may write) by the log's own trigger.
    reasons = ("permission denied", "must be owner", "a written value may only be erased")
    assert all(any(r in why for r in reasons) for _, why in refused), refused
    with Session(app) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == rows
        assert verify_chain(s, actor=ADMIN).intact
    app.dispose()


def test_grant_app_role__no_such_role__refused_in_words(owner_and_app: tuple[str, str]) -> None:
    owner_url, _ = owner_and_app
    with pytest.raises(RoleProblem, match="there is no role 'nobody_here'"):
        grant_app_role(make_engine(owner_url), "nobody_here")
