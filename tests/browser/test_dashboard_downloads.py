"""The auditor's dashboard in a real browser: every chart's Download menu opens and hands over
its figures and its chart, made on the server only when asked for."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ops.demo import DEMO_WAVE, fill_demo_wave
from tests.browser.conftest import SETUP, add_account, settle, shoot, sign_in

pytestmark = pytest.mark.browser
HEADING = "Q2 Users involved in strategy"


def test_a_chart_downloads_as_csv_png_and_svg(page, app_url: str, app_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with Session(app_engine) as s:
        fill_demo_wave(s, actor=SETUP)
    add_account(app_engine, "audrey", "auditor")
    sign_in(page, app_url, "audrey")
    page.goto(f"{app_url}/?wave={DEMO_WAVE}")  # the Dashboard is an auditor's first page
    chart = page.get_by_role("heading", name=HEADING)
    chart.wait_for()
    settle(page)
    menus = page.get_by_role("button", name="Download", exact=True)
    assert menus.count() >= 35  # one under every chart (the crosstab has its own CSV)
    menu = page.locator(".st-key-dashboard-q2_strategy_involvement-downloads")
    menu.get_by_role("button", name="Download", exact=True).click()
    page.get_by_role("button", name="CSV table").wait_for()
    shoot(page, "dashboard-01-download-menu")

    files = {}
    for label in ("CSV table", "PNG image", "SVG image"):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        files[label] = (download.value.suggested_filename, Path(download.value.path()).read_bytes())
        settle(page)
        if not page.get_by_role("button", name=label).is_visible():  # the menu closed
            menu.get_by_role("button", name="Download", exact=True).click()

    name, data = files["CSV table"]
    assert name == "demo_q2_strategy_involvement.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert {r["variable_id"] for r in rows} == {"q2_strategy_involvement"}
    assert [r["label"] for r in rows] == ["Yes", "No", "Did not answer", "Don't know"]
    assert sum(int(r["n"]) for r in rows) == int(rows[0]["base"]) == 27  # every validated one
    name, data = files["PNG image"]
    assert name == "demo_q2_strategy_involvement.png" and data.startswith(b"\x89PNG")
    name, data = files["SVG image"]
    assert name == "demo_q2_strategy_involvement.svg" and b"<svg" in data[:200]

    # The whole wave's files, made on the click outside the page's run (no session state then).
    wave_files = {}
    for label in ("Draft report supplement (Word)", "National results (JSON)",
                  "Download everything (zip)"):  # fmt: skip
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        wave_files[label] = (download.value.suggested_filename,
                             Path(download.value.path()).read_bytes())  # fmt: skip
    name, data = wave_files["Draft report supplement (Word)"]
    assert name == f"supplement_{DEMO_WAVE}.docx"
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        assert "Thirty-two councils were eligible" in docx.read("word/document.xml").decode()
    name, data = wave_files["National results (JSON)"]
    assert name == f"report_{DEMO_WAVE}.json" and json.loads(data)["wave"] == DEMO_WAVE
    name, data = wave_files["Download everything (zip)"]
    with zipfile.ZipFile(io.BytesIO(data)) as everything:
        assert name == f"wave_{DEMO_WAVE}.zip" and "README.txt" in everything.namelist()
        json_file = everything.read(f"report_{DEMO_WAVE}.json")
    assert json_file == wave_files["National results (JSON)"][1]  # one builder for both
