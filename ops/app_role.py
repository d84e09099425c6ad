"""The PostgreSQL role the app connects as: everything it needs, and not the audit log's rewrite.

A deployment runs migrations as the tables' owner and the app as a second role. Triggers
refuse UPDATE, DELETE and TRUNCATE on `audit_event`, but an owner may disable triggers or drop
the table; the app's role is granted INSERT and SELECT only on the audit log (and cannot alter
any table), so someone holding the app's credentials cannot rewrite the log at all.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from db.audit_chain import ERASABLE
from instrument.errors import SurveyError

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Tables the app reads and appends to but never changes: the log, and the migration marker.
APPEND_ONLY = ("audit_event",)
READ_ONLY = ("alembic_version",)


class RoleProblem(SurveyError, ValueError):
    """The role cannot be granted; the message says why."""

    code = "role.refused"


def app_role_grants(role: str) -> list[str]:
    """The statements that give `role` what the app needs, in order (revokes last)."""
    if not _ROLE_NAME.fullmatch(role):
        raise RoleProblem(
            f"{role[:40]!r} is not a role name this command grants: use lower-case letters, "
            "digits and '_', starting with a letter or '_'"
        )
    quoted = f'"{role}"'
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {quoted}",
    ]
    statements += [f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {quoted}" for t in APPEND_ONLY]
    # An erasure (UK GDPR) replaces written texts by the marker; the database's trigger refuses
    # any other UPDATE, whoever asks (migration 0017).
    erasable = ", ".join(ERASABLE)
    statements += [f"GRANT UPDATE ({erasable}) ON {t} TO {quoted}" for t in APPEND_ONLY]
    statements += [
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {t} FROM {quoted}" for t in READ_ONLY
    ]
    return statements


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Grant the app's role its privileges on the current schema, as the owner; run it again
    after an upgrade adds tables. Returns the statements run."""
    if engine.dialect.name != "postgresql":
        raise RoleProblem("roles are a PostgreSQL matter: SQLite has no users to grant to")
    statements = app_role_grants(role)
    with engine.begin() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if not exists:
            raise RoleProblem(
                f"there is no role {role!r}: create it first, e.g. "
                f"CREATE ROLE {role} LOGIN PASSWORD '…'"
            )
        for statement in statements:
            connection.execute(text(statement))
    return statements
