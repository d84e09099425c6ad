"""The README documents every CLI command and every page, and CI runs the README's test command."""

from __future__ import annotations

from app_pages.navigation import PAGES, SIGN_IN_TITLE
from survey_cli import build_parser
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_cli_command_is_in_the_readme() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [name for name in commands if f"survey_cli.py {name}" not in README]
    assert not missing, f"commands not in the README: {missing}"


def test_every_page_is_in_the_readme() -> None:
    titles = [title for _script, title, _icon in PAGES.values()] + [SIGN_IN_TITLE]
    missing = [t for t in titles if f"**{t}**" not in README]
    assert not missing, f"pages not described in the README: {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert f"```bash\n{command}\n```" in README, command


def test_the_readme_test_command_runs_the_browser_tests_and_all_the_others() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    runs = [part.strip() for part in command.split("&&") if "pytest" in part]
    assert [run.rsplit(" -m ", 1)[1] for run in runs] == ['"not browser"', "browser"], runs


def test_readme_app_command_installs_and_starts_the_app() -> None:
    assert (
        "```bash\npython -m pip install -r requirements.txt && streamlit run survey_app.py\n```"
        in README
    )
