"""The Word supplement: methodology, then per Part the sentences, charts and tables."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import db
import survey_cli
from aggregation.supplement import supplement_docx
from aggregation.text import methodology_paragraph, report_sentences
from instrument import load_instrument
from services.imports import import_wave
from services.results import load_results
from tests.conftest import INTERVIEWER
from tests.wave_builder import build_wave, columns, csv_bytes

SCHEDULE = load_instrument()
TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe\xa7\x9a\xa0"
    b"\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def full_wave(engine: Engine):  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        import_wave(
            s,
            actor=INTERVIEWER,
            wave_key="2011",
            data=csv_bytes(build_wave(SCHEDULE), columns(SCHEDULE)),
            filename="wave.csv",
        )
    with Session(engine) as s:
        return load_results(s, actor=INTERVIEWER, wave_key="2011")


def test_supplement__methodology_then_every_part_with_sentences_charts_and_tables(
    full_wave,
) -> None:  # type: ignore[no-untyped-def]
    rendered: list[str] = []

    def fake_png(chart) -> bytes:  # type: ignore[no-untyped-def]
        rendered.append(chart.to_dict()["title"]["text"] if "title" in chart.to_dict() else "")
        return TINY_PNG

    data = supplement_docx(full_wave, "Commissioning social care", render_png=fake_png)
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    parts = [f"Part {p.id}: {p.title}" for p in SCHEDULE.parts]
    assert headings[0] == "Methodology"
    assert [h for h in headings if h.startswith("Part ")] == parts
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        methodology_paragraph(SCHEDULE, full_wave.interviews, full_wave.figures, full_wave.view)
        in text
    )
    for variable_id, sentences in report_sentences(full_wave).items():
        for sentence in sentences:
            assert sentence in text, (variable_id, sentence)
    closed = len(full_wave.tallies)
    assert len(document.tables) == closed
    assert len(document.inline_shapes) == closed + 2  # plus guidance and budget comparisons
    assert len(rendered) == closed + 2


def test_report_command_writes_a_word_file(
    full_wave, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(db, "_engines", {})
    out = tmp_path / "supplement.docx"
    assert survey_cli.main(["report", "--format", "docx", "--out", str(out)]) == 0
    assert "Wrote the draft report supplement of wave 2011" in capsys.readouterr().out
    document = Document(str(out))
    assert document.paragraphs[0].text == "Commissioning social care 2011: survey results"
    assert len(document.inline_shapes) > 30
    assert survey_cli.main(["report", "--format", "docx"]) == 2
    assert "--format docx needs --out FILE" in capsys.readouterr().err
