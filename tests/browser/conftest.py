"""A running `streamlit run survey_app.py` and Debian's Chromium driven by Playwright.

Screenshots of each step go to `artifacts/browser/` (kept by CI as test artifacts).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Answer
from services.accounts import add_account as add_account_service
from services.actor import Actor
from tests.browser.app_server import (
    CHROMIUM_ARGS,
    AppDidNotStart,
    chromium_executable,
    streamlit_app,
)
from tests.conftest import REPO

ARTIFACTS = REPO / "artifacts" / "browser"


@pytest.fixture(scope="session")
def shared_app(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, Path]]:
    """One `streamlit run` per xdist worker, serving every browser test in turn: starting one
    per test (and its first page's imports) cost seconds a test. Its database file is put
    back to the initialised template before each test (`app_engine`)."""
    folder = tmp_path_factory.mktemp("app")
    path, log_path = folder / "browser.sqlite3", folder / "streamlit.log"
    shutil.copy(sqlite_template, path)
    with log_path.open("w") as log:
        try:
            with streamlit_app(f"sqlite:///{path}", log=log) as url:
                yield url, path
        except AppDidNotStart as problem:
            pytest.fail(f"the app did not start ({problem}): {log_path.read_text()}")


@pytest.fixture
def app_engine(shared_app: tuple[str, Path], sqlite_template: Path) -> Iterator[Engine]:
    """The running app's database, as `initialise` leaves it: the template copied into it
    through SQLite's backup API, which takes the database's locks, so the app's open
    connections see the new contents on their next read."""
    path = shared_app[1]
    with (
        closing(sqlite3.connect(sqlite_template)) as source,
        closing(sqlite3.connect(path, timeout=30)) as target,
    ):
        source.backup(target)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def app_url(shared_app: tuple[str, Path], app_engine: Engine) -> str:
    """The running app, on a database reset for this test."""
    return shared_app[0]


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip(
            "browser tests need Debian's chromium: `apt-get install chromium` "
            "(bash .ci/run installs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Keep a full-page screenshot of this step as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


PASSWORD = "a long test password"
SETUP = Actor("setup", "admin")


def add_account(engine: Engine, username: str, role: str, council: str | None = None) -> None:
    """An account made as an administrator would, with the shared test password."""
    with Session(engine) as s:
        add_account_service(
            s, actor=SETUP, username=username, role=role, password=PASSWORD, council=council
        )


def sign_in(page, app_url: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form; the browser then keeps the session across page loads."""
    page.goto(app_url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for()
    deadline = time.monotonic() + 30  # the cookie that keeps the sign-in across page loads
    while not any(c["name"] == "survey_session" for c in page.context.cookies()):
        assert time.monotonic() < deadline, "the session cookie was never set"
        page.wait_for_timeout(100)


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script run has finished and no stale element is left on the page."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    )


# Streamlit marks its app element with the script run's state. An action's rerun is over once
# the page shows what that run draws (a Part's heading, a saved value) and the app is idle. A
# count of finished runs was tried and cannot be trusted: a browser slowed by load handles a
# whole run's messages in one go, so the state never visibly leaves "notRunning".
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
}"""


def idle(page) -> None:  # type: ignore[no-untyped-def]
    """No script run under way and nothing stale on the page."""
    page.wait_for_function(IDLE)


def click_until_shown(page, button, shown, *, attempts: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Click `button` until `shown` appears. A click that lands as a rerun starts to redraw
    the button is lost (Streamlit replaces the element under the pointer; seen in CI after
    the coding page's consensus pass), so it is made again, only while the app is idle, the
    button still there and its result not shown. A click that never works still fails."""
    for _ in range(attempts):
        idle(page)
        if shown.is_visible() or not button.is_visible():
            break
        button.click()
        try:
            shown.wait_for(state="visible", timeout=4000)
            return
        except PlaywrightTimeout:
            continue
    shown.wait_for(state="visible", timeout=5000)


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    settle(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()


def choose(page, label: str, typed: str) -> None:  # type: ignore[no-untyped-def]
    """Choose in a select box by typing, as a person would: a list opened by a click while the
    page still scrolls closes again at once, so the option is typed and Enter pressed."""
    idle(page)
    page.get_by_role("combobox", name=label, exact=True).click()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")


def create_administrator(page, app_url: str, username: str, shot: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """On an empty database: the one-time form that creates the first administrator."""
    page.goto(app_url)
    page.get_by_role("heading", name="Create the administrator").wait_for()
    if shot:
        shoot(page, shot)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Your name").fill(f"{username.title()} Admin")
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    page.get_by_role("heading", name="Accounts").wait_for()


def add_in_form(page, username: str, role: str, council: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Add an account through the Accounts page's form, as an administrator."""
    settle(page)
    submit = page.get_by_role("button", name="Add the account")
    form = page.get_by_test_id("stForm").filter(has=submit)
    form.get_by_role("textbox", name="Username").fill(username)
    form.get_by_role("textbox", name="Name", exact=True).fill(username.title())
    form.get_by_test_id("stSelectbox").filter(has_text="Role").click()
    page.get_by_role("option", name=role).click()
    if council:
        form.get_by_test_id("stSelectbox").filter(has_text="Council").locator("input").click()
        page.keyboard.type(council)
        page.keyboard.press("Enter")
    form.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    form.get_by_label("Password again").fill(PASSWORD)
    form.get_by_role("button", name="Add the account").click()
    page.get_by_text(f"Added {username}.").wait_for()


def question(page, variable: str):  # type: ignore[no-untyped-def]
    """One question's box in the Interview page's keying panel."""
    return page.locator(f'.keying [data-variable="{variable}"]')


def press_complete(page) -> None:  # type: ignore[no-untyped-def]
    """Press the Interview page's "Complete interview"; fail with what it says is missing."""
    page.get_by_role("button", name="Complete interview").click()
    done = page.get_by_text("This interview is complete.")
    refused = page.get_by_text("Not completed. Still unrecorded", exact=False)
    done.or_(refused).wait_for()
    assert not refused.count(), refused.inner_text()


def wait_for_saved(engine: Engine, interview_id: int, variable: str, expected: dict) -> Answer:  # type: ignore[type-arg]
    """Poll the database: the autosave must land without any button being pressed."""
    deadline = time.monotonic() + 15
    answer = None
    while time.monotonic() < deadline:
        with Session(engine) as s:
            answer = s.scalar(
                select(Answer).where(
                    Answer.interview_id == interview_id, Answer.variable_id == variable
                )
            )
        if answer and all(getattr(answer, k) == v for k, v in expected.items()):
            return answer
        time.sleep(0.2)
    got = {k: getattr(answer, k) for k in expected} if answer else None
    raise AssertionError(f"{variable}: expected {expected}, database has {got}")


# --- accessibility: axe-core in the page ---------------------------------------------------

BLOCKING = ("serious", "critical")
# Violations that are Streamlit's own markup and that the app cannot change (neither theme,
# config nor our own markup reaches them): (rule id, exact target selector) -> why.
STREAMLIT_OWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on one page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    nodes: tuple[tuple[str, str], ...]  # (target selector, failure summary)

    def described(self) -> str:
        lines = [f"{self.rule} ({self.impact}): {self.help}"]
        for target, summary in self.nodes:
            lines.append(f"  - {target}: {' '.join(summary.split())}")
        return "\n".join(lines)


def axe_violations(page) -> list[Violation]:  # type: ignore[no-untyped-def]
    """Every axe-core violation on the page as it stands, minus the listed Streamlit ones."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for v in Axe().run(page).response["violations"]:
        nodes = tuple(
            (" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"]),
             n.get("failureSummary") or "")
            for n in v["nodes"]
        )  # fmt: skip
        nodes = tuple(n for n in nodes if (v["id"], n[0]) not in STREAMLIT_OWN)
        if nodes:
            found.append(Violation(v["id"], v["impact"] or "minor", v["help"], nodes))
    return found


def charts_drawn(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until every chart on the page has drawn its marks. Streamlit first shows a skeleton
    while it loads the chart library and Vega draws after that, so axe run any sooner checks a
    page without its charts and their text alternatives."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stSkeleton\"]')"
        " && [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')]"
        ".every((c) => c.querySelector('.marks'))",
        timeout=30_000,
    )


# Streamlit draws a Material Symbols icon as the text of its name in an icon font (the icon
# ":material/download:" is the word "download"), so an icon not hidden from assistive technology
# is read out as part of a name: a button "downloadDownload", an expander "History (1)
# expand_more". A name with an underscore is no English word and is looked for anywhere in a
# name; a one-word icon drawn on the page only as a whole name or glued to a name's start
# ("downloadDownload") or end ("(1)history").
ICON_WORDS = re.compile(
    r"(?<![a-z])(expand_more|expand_less|keyboard_arrow_|keyboard_double_arrow_|arrow_"
    r"|check_circle|chevron_|:material/)"
)
# The ligature of each icon on the page: its element's text, drawn in the icon font.
DRAWN_ICONS = """() => [...new Set([...document.querySelectorAll('body *')]
  .filter((e) => !e.children.length && /Material Symbols/.test(getComputedStyle(e).fontFamily))
  .map((e) => e.textContent.trim()).filter(Boolean))]"""


def accessible_names(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(role, name) of every node in Chromium's accessibility tree that assistive technology
    is given (not ignored, so not aria-hidden), text nodes included: what a screen reader
    announces, as Chromium computes it."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    named = []
    for node in nodes:
        role = node.get("role", {}).get("value", "")
        name = str(node.get("name", {}).get("value") or "")
        if not node.get("ignored") and name.strip() and role != "InlineTextBox":
            named.append((role, name))
    return named


def leaks_icon(name: str, icons: set[str]) -> bool:
    """Whether an accessible name contains an icon's ligature (see ICON_WORDS)."""
    if ICON_WORDS.search(name):
        return True
    for icon in icons:
        if "_" in icon:
            if re.search(rf"(?<![a-z]){re.escape(icon)}(?![a-z])", name):
                return True
        elif (
            name.strip() == icon
            or re.match(rf"{re.escape(icon)}[A-Z0-9(]", name)
            or re.search(rf"[^\sA-Za-z]{re.escape(icon)}$", name)
        ):
            return True
    return False


def icon_names_in_labels(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Every accessible name on the page (sidebar and main) that says an icon's name."""
    icons = set(page.evaluate(DRAWN_ICONS))
    return [f"{role} {name!r}" for role, name in accessible_names(page) if leaks_icon(name, icons)]


# The main area's headings as a reader's heading list has them: shown ones, in page order.
HEADINGS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] :is(h1, h2, h3, h4, h5, h6)')]
  .filter((h) => h.getClientRects().length && !h.closest('[aria-hidden="true"]'))
  .map((h) => [Number(h.tagName[1]), h.innerText.trim()])"""


def heading_jumps(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Where the main area's headings skip a level (h1 then h3) or do not start at h1."""
    levels: list[tuple[int, str]] = [(int(n), str(t)) for n, t in page.evaluate(HEADINGS)]
    jumps, before = [], 0
    for level, text in levels:
        if level > before + 1:
            after = f"after h{before}" if before else "first heading"
            jumps.append(f"h{level} {text!r} ({after})")
        before = level
    return jumps


def assert_accessible(page, name: str) -> list[Violation]:  # type: ignore[no-untyped-def]
    """Run axe-core on the page once the script has settled; fail, listing each rule, impact,
    element and failure, if any violation is serious or critical, if any accessible name says
    an icon's name, or if the headings skip a level. Returns every axe violation (minor and
    moderate ones too) so a test can report them."""
    settle(page)
    charts_drawn(page)
    found = axe_violations(page)
    shoot(page, f"a11y-{name}")
    blocking = [v for v in found if v.impact in BLOCKING]
    assert not blocking, f"{name}: {len(blocking)} serious or critical axe violation(s)\n" + (
        "\n".join(v.described() for v in blocking)
    )
    leaked = icon_names_in_labels(page)
    assert not leaked, f"{name}: icon names in accessible names:\n" + "\n".join(leaked)
    jumps = heading_jumps(page)
    assert not jumps, f"{name}: headings skip a level:\n" + "\n".join(jumps)
    return found
