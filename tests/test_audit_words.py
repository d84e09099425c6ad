"""Every action the services write to the audit log has words on the Audit log page: a row
that reads "review.validation_reopened" instead of "Validation withdrawn by a change" is a page
an administrator cannot read at a glance."""

from __future__ import annotations

import ast
import re

from services.audit_log import EVENTS, KINDS, describe
from tests.conftest import REPO

ACTION = re.compile(r"^(signin|signout|[a-z]+\.[a-z_]+)$")
FILE_NAMES = ("csv", "xlsx", "qdc", "qdpx", "yaml", "js", "css")  # "frame.csv" is a default name
CODING_CHANGES = ("applied", "removed", "quote", "unquote", "approved", "unapproved")


def written_actions() -> set[str]:
    """Action codes as the product writes them: every string constant shaped like one, in a
    kind of the log, that is not a refusal's error code (`code = "..."` or `code="..."`)."""
    found: set[str] = set()
    for path in [*(REPO / "services").rglob("*.py"), *(REPO / "ops").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        error_codes = {
            id(node.value)
            for node in ast.walk(tree)
            if (isinstance(node, ast.keyword) and node.arg == "code")
            or (isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "code" for t in node.targets))
        }  # fmt: skip
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) in error_codes or not ACTION.match(node.value):
                continue
            if node.value.rsplit(".", 1)[-1] in FILE_NAMES:
                continue
            if node.value.split(".")[0] in (*KINDS, "signin", "signout"):
                found.add(node.value)
    return found | {f"coding.{change}" for change in CODING_CHANGES}


def test_every_action_written_has_words() -> None:
    written = written_actions()
    assert {"answer.value", "review.resolve", "signin.failed", "coding.approved"} <= written
    assert sorted(a for a in written if a not in EVENTS) == []
    assert describe("signin.failed") == "Failed sign-in"
    assert describe("made.up") == "made.up"  # a row from another version: its code


def test_every_kind_names_some_action() -> None:
    assert all(any(a.startswith(kind) for a in EVENTS) for kind in KINDS)
