"""Two app replicas on one database, as `docs/deployment.md` runs them: an answer saved through
one is on the other's next run, a sign-in made on one is honoured by the other, killing one
loses nothing saved, and behind the shipped Caddyfile a browser carries on when its replica
dies. On PostgreSQL when TEST_DATABASE_URL is set (the deployment's database), else on one
SQLite file."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.models import Answer, Council, Interview
from db.setup import initialise
from tests.browser.app_server import free_port, streamlit_app
from tests.browser.conftest import add_account, question, settle, shoot, sign_in, wait_for_saved
from tests.conftest import POSTGRES_URL, REPO, throwaway_postgres

pytestmark = pytest.mark.browser
FIFE = "S12000047"


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One initialised database for both replicas, with an interviewer's account."""
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("PostgreSQL runs when TEST_DATABASE_URL is set (bash .ci/run sets it)")
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        if request.param == "postgresql":
            url = stack.enter_context(throwaway_postgres("replicas"))
        engine = make_engine(url)
        initialise(engine)
        add_account(engine, "ilona", "interviewer")
        engine.dispose()
        yield url


@contextmanager
def caddy_in_front(*replicas: str) -> Iterator[str]:
    """The shipped deploy/Caddyfile, serving plain HTTP on a free port in front of the
    replicas (TLS is the only thing left out: it needs a domain)."""
    if shutil.which("caddy") is None:
        pytest.skip("the proxy test needs Debian's caddy: `apt-get install caddy` (bash .ci/run "
                    "installs it)")  # fmt: skip
    port = free_port()
    env = {**os.environ, "SURVEY_SITE": f"http://127.0.0.1:{port}", "SURVEY_CADDY_ADMIN": "off",
           "SURVEY_REPLICAS": " ".join(r.removeprefix("http://") for r in replicas)}  # fmt: skip
    with tempfile.TemporaryFile() as log:
        proxy = subprocess.Popen(
            ["caddy", "run", "--config", str(REPO / "deploy" / "Caddyfile"),
             "--adapter", "caddyfile"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        site = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not healthy(f"{site}/_stcore/health"):  # through the proxy, to a replica
                if proxy.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError(f"Caddy did not serve the replicas: {log.read()!r}")
                time.sleep(0.2)
            yield site
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)


def healthy(address: str) -> bool:
    try:
        with urllib.request.urlopen(address, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def fife(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalars(select(Interview.id).join(Council).where(Council.code == FIFE)).one()


def key_yes(page, variable: str) -> None:  # type: ignore[no-untyped-def]
    """Press 1 (Yes) on a question of the Interview page, as an interviewer keys it."""
    question(page, variable).get_by_role("radiogroup").focus()
    page.keyboard.press("1")
    expect(question(page, variable).get_by_role("status")).to_contain_text("Saved")


def yes_chosen(page, variable: str):  # type: ignore[no-untyped-def]
    """The question's "Yes" option (the first), whose aria-checked says whether it is chosen."""
    return question(page, variable).get_by_role("radio").first


def open_interview(page, address: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{address}/interview?council={FIFE}&part=B")
    page.locator(".keying .question").first.wait_for()
    settle(page)


def replica_of(context, replicas: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    """The replica Caddy keeps this browser on: its `survey_replica` cookie is the HMAC-SHA256
    of the replica's address (no secret set), as Caddy's cookie policy writes it."""
    cookie = next(c["value"] for c in context.cookies() if c["name"] == "survey_replica")
    for replica in replicas:
        address = replica.removeprefix("http://").encode()
        if hmac.new(b"", address, hashlib.sha256).hexdigest() == cookie:
            return replica
    raise AssertionError(f"the sticky cookie {cookie!r} names neither replica")


def test_two_replicas_behind_caddy_share_answers_and_sign_ins_and_one_killed_loses_nothing(
    chromium, shared_database: str  # type: ignore[no-untyped-def]
) -> None:
    engine = make_engine(shared_database)
    interview = fife(engine)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    with (
        streamlit_app(shared_database) as one,
        streamlit_app(shared_database) as two,
        caddy_in_front(one, two) as site,
    ):
        sign_in(page, site, "ilona")
        open_interview(page, site)
        key_yes(page, "q8b_specific_groups")
        wait_for_saved(engine, interview, "q8b_specific_groups", {"value": "yes"})
        serving = replica_of(context, (one, two))
        spare = two if serving == one else one

        # The other replica, reached directly: the browser is still signed in (its session
        # cookie names a sign-in kept in the database) and the answer is on its first run.
        open_interview(page, spare)
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        expect(yes_chosen(page, "q8b_specific_groups")).to_have_attribute("aria-checked", "true")
        shoot(page, "replicas-01-the-other-replica")

        # The replica serving the browser is killed outright, just after a save: the save is
        # kept, and through the proxy the browser carries on on the other, still signed in.
        open_interview(page, site)
        key_yes(page, "q8d_individual_budgets")
        serving.process.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
        serving.process.wait(timeout=10)  # type: ignore[attr-defined]
        wait_for_saved(engine, interview, "q8d_individual_budgets", {"value": "yes"})
        open_interview(page, site)
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        expect(yes_chosen(page, "q8d_individual_budgets")).to_have_attribute("aria-checked", "true")
        key_yes(page, "q10_fundamental_shift")
        wait_for_saved(engine, interview, "q10_fundamental_shift", {"value": "yes"})
        assert replica_of(context, (one, two)) == spare
        shoot(page, "replicas-02-after-a-replica-died")
    context.close()
    with Session(engine) as s:
        saved = dict(s.execute(select(Answer.variable_id, Answer.value)
                               .where(Answer.interview_id == interview)).all())  # fmt: skip
    assert saved == {"q8b_specific_groups": "yes", "q8d_individual_budgets": "yes",
                     "q10_fundamental_shift": "yes"}  # fmt: skip
    engine.dispose()
