"""The error family: every refusal has a documented, unique code; a refusal escaping a page
is an error box in words, not a traceback; the CLI says `error [code]: …` and exits 2."""

from __future__ import annotations

import html
import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

import db
import survey_cli
from instrument.errors import SurveyError, Where
from services import permissions
from tests.conftest import REPO
from tests.signing import app_as

LAYERS = ["instrument", "db", "services", "flatfile", "ops", "aggregation"]  # importable
PAGES = ["app_pages"]  # run as scripts by Streamlit, so only read here
CATALOGUE = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")


def product_modules() -> list[str]:
    names = []
    for package in LAYERS:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if "migrations" not in parts:  # alembic runs those
                names.append(".".join(p for p in parts if p != "__init__"))
    return [*names, "survey_cli"]


def family() -> list[type[SurveyError]]:
    for name in product_modules():
        importlib.import_module(name)
    found, todo = [], [SurveyError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def codes_given_per_instance() -> set[str]:
    """Codes a raise site passes as `code="…"` (one class covering several cases)."""
    codes = set()
    for path in [REPO / "survey_cli.py", REPO / "survey_app.py"]:
        codes |= set(re.findall(r'\bcode="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    for package in LAYERS + PAGES:
        for path in (REPO / package).rglob("*.py"):
            codes |= set(re.findall(r'\bcode="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    return codes


def documented(code: str) -> bool:
    return f"`{code}`" in CATALOGUE


def test_every_class_code_is_documented_and_unique() -> None:
    classes = [c for c in family() if c.__module__.split(".")[0] != "tests"]
    assert len(classes) >= 14  # the base and the 13 refusals it unites
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    assert [c.__name__ for c in classes if not documented(c.code)] == []


def test_every_per_instance_code_is_documented() -> None:
    given = codes_given_per_instance()
    assert "wave.not_found" in given
    assert sorted(code for code in given if not documented(code)) == []


def test_codes_are_dotted_lowercase() -> None:
    everything = {c.code for c in family()} | codes_given_per_instance()
    assert [
        c for c in everything if not re.fullmatch(r"[a-z]+(_[a-z]+)*(\.[a-z]+(_[a-z]+)*)+", c)
    ] == []


def test_located__says_where_before_what() -> None:
    problem = SurveyError("30:60 adds up to 90, not 100", file="wave.csv", row=15, column="q24")
    assert (
        problem.located()
        == str(problem)
        == "wave.csv, row 15, column q24: 30:60 adds up to 90, not 100"
    )
    assert problem.code == "survey.error"
    assert SurveyError("no wave", code="wave.not_found").code == "wave.not_found"
    assert str(SurveyError("nowhere in particular")) == "nowhere in particular"
    assert not Where() and Where(council="Fife")


@pytest.mark.usefixtures("app_db")
def test_page__permission_denied__shows_an_error_box_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the rules change under a signed-in auditor: the service refuses, the page does not catch
    monkeypatch.setitem(permissions.RULES, "read results", frozenset({"interviewer"}))
    at = app_as("auditor")
    at.run()

    assert not at.exception, at.exception
    shown = [html.unescape(re.sub(r"\\(.)", r"\1", e.value)) for e in at.error]
    assert shown == ["Not permitted: an auditor account may not read results."]
    assert any("permission.denied" in c.value for c in at.caption)


def test_page__typed_text_in_a_refusal_is_shown_as_text(
    app_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = "**bold** [link](http://x) <b>tag</b>"

    def refuse(*args: object, **kwargs: object) -> None:
        raise SurveyError(f"cannot read {typed}", code="value.invalid")

    monkeypatch.setattr("app_pages.common.list_waves", refuse)
    at = app_as("auditor")
    at.run()

    assert not at.exception, at.exception
    (box,) = at.error
    assert "<b>" not in box.value and "**bold**" not in box.value  # escaped, so shown literally
    assert html.unescape(re.sub(r"\\(.)", r"\1", box.value)) == f"cannot read {typed}"


def test_cli__refusal__code_on_stderr_and_exit_2(
    app_db: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(db, "_engines", {})  # the CLI opens DATABASE_URL afresh
    bad = tmp_path / "wave.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert survey_cli.main(["import", str(bad), "--wave", "2011"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error [import.refused]: wave.csv: import refused, nothing was written")
    assert "  - row 1: none of the column names is one the survey uses" in err

    assert survey_cli.main(["status", "--wave", "1999"]) == 2
    assert capsys.readouterr().err == "error [wave.not_found]: there is no wave '1999'\n"
