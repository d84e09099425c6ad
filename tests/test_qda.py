"""Exchange with NVivo, ATLAS.ti and MAXQDA (issue 14, item 6): the wave's open answers,
codebook and codings written as a REFI-QDA project (.qdpx) and codebook (.qdc) that the
standard's own schema accepts, read back to identical codings, and a file that does not match
refused with every problem by line, the database unchanged."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

import survey_cli
from db.models import Coding
from flatfile.qda import CODEBOOK_NS, PROJECT_NS
from instrument.loader import instrument_text
from services.actor import Actor
from services.answers import save_answer
from services.codings import code_answer
from services.codings_file import CodingsRefused, export_codings
from services.permissions import PermissionDenied
from services.qda import export_qdc, export_qdpx, import_qdc, import_qdpx
from services.themes import ThemeRefused, create_theme, list_themes
from services.waves import create_wave
from tests.answering import open_answers_to_code
from tests.conftest import INTERVIEWER, TableChecksum, table_checksums

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data/refi-qda/Project.xsd")))
ANALYST = Actor("ann", "analyst")
ADMIN = Actor("ada", "admin")
SKILLS, FURTHER = "q15_skills_capacity", "q14_further_guidance"
FIFE_SAYS = "We sent two commissioners on the CIPFA course and used the Institute for Public Care."
ANGUS_SAYS = "Nothing external; “in-house” mentoring only."
CIPFA = (FIFE_SAYS.index("CIPFA"), FIFE_SAYS.index("CIPFA") + len("CIPFA course"))
Q = f"{{{PROJECT_NS}}}"


@pytest.fixture
def coded(engine: Engine) -> dict[str, int]:
    """Fife and Angus answered Q15 (Fife Q14 too); a two-level codebook; two coders, one
    whole-answer coding, passages, and a quote candidate."""
    ids = open_answers_to_code(engine, SKILLS, {"Fife": FIFE_SAYS, "Angus": ANGUS_SAYS},
                               ["External training", "No training"])  # fmt: skip
    with Session(engine) as s:
        save_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=FURTHER,
                    value="More on outcomes-based commissioning.")  # fmt: skip
        create_theme(s, actor=INTERVIEWER, wave_key="2011", name="CIPFA", variables=[SKILLS],
                     parent="External training", description="Courses run by CIPFA",
                     report="{n council} had sent staff on CIPFA courses.")  # fmt: skip
        code_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="External training")  # fmt: skip
        code_answer(s, actor=INTERVIEWER, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="CIPFA", start=CIPFA[0], end=CIPFA[1], quote=True)  # fmt: skip
        code_answer(s, actor=ANALYST, interview_id=ids["Fife"], variable_id=SKILLS,
                    theme="CIPFA", start=CIPFA[0], end=CIPFA[1])  # fmt: skip
        code_answer(s, actor=ANALYST, interview_id=ids["Angus"], variable_id=SKILLS,
                    theme="No training", start=0, end=len("Nothing external"))  # fmt: skip
    return ids


def project(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("project.qde"))


def rewritten(data: bytes, change: dict[str, bytes]) -> bytes:
    """The .qdpx with some of its members' contents changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def codings(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as s:
        rows = s.execute(select(Coding.interview_id, Coding.variable_id, Coding.theme_id,
                                Coding.coder, Coding.start_offset, Coding.end_offset,
                                Coding.passage, Coding.quote)).all()  # fmt: skip
    return sorted(tuple(r) for r in rows)


def checksums(engine: Engine) -> dict[str, TableChecksum]:
    with engine.connect() as connection:
        return table_checksums(connection)


def test_the_project_passes_the_standards_schema__a_source_per_answer__coders_as_users(
    engine: Engine, coded: dict[str, int]
) -> None:
    with Session(engine) as s:
        data = export_qdpx(s, actor=ANALYST, wave_key="2011")
    root = project(data)
    SCHEMA.assertValid(root)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        texts = {n: archive.read(n).decode() for n in archive.namelist()
                 if n.startswith("Sources/")}  # fmt: skip
    sources = root.findall(f"{Q}Sources/{Q}TextSource")
    assert [s.get("name") for s in sources] == ["Angus — q15_skills_capacity",
                                                "Fife — q14_further_guidance",
                                                "Fife — q15_skills_capacity"]  # fmt: skip
    fife = sources[2]
    assert texts[f"Sources/{fife.get('guid')}.txt"] == FIFE_SAYS
    assert {u.get("name") for u in root.iter(f"{Q}User")} == {"ann", "ilona"}
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{Q}Code")}
    assert sorted(codes.values()) == ["CIPFA", "External training", "No training",
                                      "Quote candidates"]  # fmt: skip
    [cipfa] = root.iterfind(f"{Q}CodeBook/{Q}Codes/{Q}Code[@name='External training']/{Q}Code")
    assert cipfa.findtext(f"{Q}Description").startswith("Courses run by CIPFA")
    found = sorted(
        (int(sel.get("startPosition")), int(sel.get("endPosition")),
         sorted(codes[r.get("targetGUID")] for r in sel.iter(f"{Q}CodeRef")))
        for sel in fife.iter(f"{Q}PlainTextSelection")
    )  # fmt: skip
    assert found == [
        (0, len(FIFE_SAYS), ["External training"]),  # the whole answer
        (*CIPFA, ["CIPFA"]),  # the analyst's
        (*CIPFA, ["CIPFA", "Quote candidates"]),  # the interviewer's, a quote candidate
    ]
    cases = {c.get("name"): len(c.findall(f"{Q}SourceRef")) for c in root.iter(f"{Q}Case")}
    assert cases == {"Angus": 1, "Fife": 2}


def test_the_project_reads_back_to_identical_codings__twice_adds_nothing(
    engine: Engine, coded: dict[str, int]
) -> None:
    before, flat = codings(engine), None
    with Session(engine) as s:
        flat = export_codings(s, actor=INTERVIEWER, wave_key="2011")
        data = export_qdpx(s, actor=INTERVIEWER, wave_key="2011")
        s.execute(delete(Coding))
        s.commit()
        assert import_qdpx(s, actor=ANALYST, wave_key="2011", data=data) == 4
        assert import_qdpx(s, actor=ANALYST, wave_key="2011", data=data) == 0
        assert export_codings(s, actor=INTERVIEWER, wave_key="2011") == flat
    assert codings(engine) == before


def test_the_codebook_as_qdc__valid__and_read_into_the_next_wave_with_its_questions(
    engine: Engine, coded: dict[str, int]
) -> None:
    with Session(engine) as s:
        data = export_qdc(s, actor=INTERVIEWER, wave_key="2011")
        create_wave(s, actor=ADMIN, key="2026", title="Commissioning 2026",
                    instrument_text=instrument_text("schedule_2011"),
                    instrument_name="schedule_2011")  # fmt: skip
        added = import_qdc(s, actor=ANALYST, wave_key="2026", data=data, filename="book.qdc")
        themes = list_themes(s, actor=ANALYST, wave_key="2026")
    codebook = etree.fromstring(data)
    assert codebook.tag == f"{{{CODEBOOK_NS}}}CodeBook"
    SCHEMA.assertValid(_as_project(codebook))
    assert len(added) == 3
    assert [(t.name, t.parent, t.description, t.variables, t.report) for t in themes] == [
        ("External training", None, "", (SKILLS,), ""),
        ("CIPFA", "External training", "Courses run by CIPFA", (SKILLS,),
         "{n council} had sent staff on CIPFA courses."),
        ("No training", None, "", (SKILLS,), ""),
    ]  # fmt: skip


def test_a_codebook_from_another_tool__questions_given__levels_and_names_checked_by_line(
    engine: Engine,
) -> None:
    nvivo = f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{CODEBOOK_NS}" origin="NVivo">
  <Codes>
    <Code guid="11111111-1111-1111-1111-111111111111" name="Budgets" isCodable="true">
      <Description>Money, mostly</Description>
      <Code guid="22222222-2222-2222-2222-222222222222" name="Cuts" isCodable="true">
        <Code guid="33333333-3333-3333-3333-333333333333" name="Deep cuts" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="44444444-4444-4444-4444-444444444444" name="" isCodable="true"/>
  </Codes>
</CodeBook>""".encode()
    before = checksums(engine)
    with Session(engine) as s, pytest.raises(ThemeRefused) as refused:
        import_qdc(s, actor=ANALYST, wave_key="2011", data=nvivo, filename="nvivo.qdc")
    said = [str(p) for p in refused.value.problems]
    assert "line 7, column <Code>, value 'Deep cuts': themes go two levels deep; this code is " \
           "at level 3" in said  # fmt: skip
    assert any(p.startswith("line 4, column Open questions") and "at least one open question" in p
               for p in said)  # fmt: skip
    assert "line 10, column name, value '': the code has no name" in said
    assert checksums(engine) == before
    deep = nvivo.splitlines(keepends=True)[6]
    assert b"Deep cuts" in deep
    flat = nvivo.replace(deep, b"").replace(b'name=""', b'name="Staffing"')
    with Session(engine) as s:
        added = import_qdc(s, actor=ANALYST, wave_key="2011", data=flat, filename="nvivo.qdc",
                           variables=[SKILLS])  # fmt: skip
    assert [(t.name, t.parent, t.description) for t in added] == [
        ("Budgets", None, "Money, mostly"), ("Staffing", None, ""), ("Cuts", "Budgets", "")]


def test_a_project_that_does_not_match_is_refused_with_every_problem_by_line(
    engine: Engine, coded: dict[str, int]
) -> None:
    with Session(engine) as s:
        data = export_qdpx(s, actor=INTERVIEWER, wave_key="2011")
    root = project(data)
    angus = next(x for x in root.iter(f"{Q}TextSource") if x.get("name").startswith("Angus"))
    code_guid = {c.get("name"): c.get("guid") for c in root.iter(f"{Q}Code")}
    external, quote_code = code_guid["External training"], code_guid["Quote candidates"]
    unknown_theme = "99999999-9999-9999-9999-999999999999"
    qde = etree.tostring(root).decode()
    broken = (
        qde.replace(f'guid="{angus.get("guid")}"', 'guid="12345678-1234-1234-1234-123456789012"')
        .replace(f'startPosition="{CIPFA[0]}" endPosition="{CIPFA[1]}"',
                 f'startPosition="{CIPFA[0]}" endPosition="900"', 1)
        .replace(f'targetGUID="{external}"', f'targetGUID="{unknown_theme}"')
    )  # fmt: skip
    fife_q14 = next(x for x in root.iter(f"{Q}TextSource") if "q14" in x.get("name"))
    changed = {"project.qde": broken.encode(),
               f"Sources/{fife_q14.get('guid')}.txt": b"Edited in NVivo."}  # fmt: skip
    before = checksums(engine)
    with Session(engine) as s, pytest.raises(CodingsRefused) as refused:
        import_qdpx(s, actor=ANALYST, wave_key="2011", data=rewritten(data, changed),
                    filename="back.qdpx")  # fmt: skip
    said = "\n".join(str(p) for p in refused.value.problems)
    assert "is not an answer of wave 2011" in said and "'Angus — q15_skills_capacity'" in said
    outside = f"the selection {CIPFA[0]}–900 is not within the source's {len(FIFE_SAYS)} characters"
    assert outside in said
    assert "has changed since the export" in said and "Fife — q14_further_guidance" in said
    assert f"value '{unknown_theme}': the code is not a theme of this wave" in said
    assert all(p.line for p in refused.value.problems)
    assert checksums(engine) == before
    whole_quote = qde.replace(f'targetGUID="{external}"', f'targetGUID="{quote_code}"')
    quoted = rewritten(data, {"project.qde": whole_quote.encode()})
    with Session(engine) as s, pytest.raises(CodingsRefused, match="a whole answer is coded, not"):
        import_qdpx(s, actor=ANALYST, wave_key="2011", data=quoted)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"not a zip", "not a .qdpx: a REFI-QDA project is a zip file"),
        (None, "the .qdpx has no project.qde"),
        (b"<Project", "not well-formed XML"),
        (b'<!DOCTYPE p [<!ENTITY x "y">]><Project xmlns="urn:QDA-XML:project:1.0" name="p"/>',
         "a DOCTYPE is not accepted"),
        (b'<Project name="p"/>', "the root element is <Project>; a REFI-QDA file has <Project> "
                                 "in urn:QDA-XML:project:1.0"),
    ],
)  # fmt: skip
def test_files_that_are_not_projects(engine: Engine, data: bytes | None, said: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.xml" if data is None else "project.qde", data or b"<x/>")
    sent = data if data == b"not a zip" else buffer.getvalue()
    with Session(engine) as s, pytest.raises(CodingsRefused, match=said):
        import_qdpx(s, actor=ANALYST, wave_key="2011", data=sent)  # type: ignore[arg-type]


def test_the_verbatim_project_is_for_coders__an_auditor_gets_the_codebook_only(
    engine: Engine, coded: dict[str, int]
) -> None:
    auditor = Actor("aud", "auditor")
    with Session(engine) as s:
        with pytest.raises(PermissionDenied):
            export_qdpx(s, actor=auditor, wave_key="2011")
        assert b"External training" in export_qdc(s, actor=auditor, wave_key="2011")


def _as_project(codebook: etree._Element) -> etree._Element:
    """A .qdc's codes moved into a project's CodeBook (see tests/data/refi-qda/README.md)."""
    text = etree.tostring(codebook).decode().replace(CODEBOOK_NS, PROJECT_NS)
    codes = etree.fromstring(text).find(f"{Q}Codes")
    root = etree.Element(f"{Q}Project", nsmap={None: PROJECT_NS}, name="codebook")
    etree.SubElement(root, f"{Q}CodeBook").append(codes)
    return root


@pytest.mark.sqlite_only
def test_cli__qdpx_and_qdc_out_and_back(
    cli_db: str, engine: Engine, coded: dict[str, int], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    qdpx, qdc = tmp_path / "wave.qdpx", tmp_path / "codebook.qdc"
    assert survey_cli.main(["codings", "export", "--wave", "2011", "--format", "qdpx",
                            "--out", str(qdpx)]) == 0  # fmt: skip
    assert survey_cli.main(["themes", "export", "--wave", "2011", "--format", "qdc",
                            "--out", str(qdc)]) == 0  # fmt: skip
    SCHEMA.assertValid(project(qdpx.read_bytes()))
    assert survey_cli.main(["codings", "import", str(qdpx), "--wave", "2011"]) == 0
    assert "0 codings added to wave 2011" in capsys.readouterr().out
    assert survey_cli.main(["wave", "create", "--key", "2026", "--title", "Next",
                            "--instrument", "instrument/schedule_2011.yaml"]) == 0  # fmt: skip
    assert survey_cli.main(["themes", "import", str(qdc), "--wave", "2026"]) == 0
    assert "3 themes added to wave 2026" in capsys.readouterr().out
    assert survey_cli.main(["codings", "import", str(qdpx), "--wave", "2026"]) == 2
    refused = capsys.readouterr().err
    assert "error [codings.refused]: wave.qdpx: codings not imported, nothing was written (3 " \
           "problems):" in refused  # fmt: skip
    assert "is not an answer of wave 2026" in refused
