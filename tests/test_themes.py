"""The codebooks of the open answers (issue 14, first step): themes per wave for one open
question or several, a two-level tree, renamed, merged and reused in the next wave through a
flat file; every change checked whole, audited, and refused in a closed wave."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import survey_cli
from db.models import AuditEvent
from instrument.loader import instrument_text
from services.actor import Actor
from services.permissions import PermissionDenied, WaveClosed
from services.themes import (
    ThemeRefused,
    ThemeSummary,
    change_theme,
    create_theme,
    export_codebook,
    import_codebook,
    list_themes,
    merge_themes,
)
from services.waves import close_wave, create_wave
from tests.conftest import INTERVIEWER, TableChecksum, table_checksums

ADMIN = Actor("ada", "admin")
AUDITOR = Actor("aud", "auditor")
TRAINING, SKILLS = "q14_further_guidance", "q15_skills_capacity"


def shown(themes: list[ThemeSummary]) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return [(t.name, t.parent, t.variables) for t in themes]


def add(session: Session, name: str, *variables: str, parent: str | None = None) -> ThemeSummary:
    return create_theme(session, actor=INTERVIEWER, wave_key="2011", name=name,
                        variables=list(variables), parent=parent)  # fmt: skip


def checksums(engine: Engine) -> dict[str, TableChecksum]:
    with engine.connect() as connection:
        return table_checksums(connection)


def unchanged(engine: Engine, before: dict[str, TableChecksum]) -> None:
    assert checksums(engine) == before


@pytest.fixture
def codebook(engine: Engine) -> Engine:
    """Wave 2011 with a small codebook: 'External training' (Q15 then Q14, kept in schedule
    order) with a child, and 'Capacity' for Q15."""
    with Session(engine) as s:
        add(s, "External training", SKILLS, TRAINING)
        add(s, "CIPFA courses", SKILLS, parent="External training")
        add(s, "Capacity", SKILLS)
    return engine


def test_themes_for_one_question_or_several__parents_then_their_children(
    codebook: Engine,
) -> None:
    with Session(codebook) as s:
        themes = list_themes(s, actor=AUDITOR, wave_key="2011")  # counts, not verbatim
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "theme.create")).all()
    assert shown(themes) == [
        ("Capacity", None, (SKILLS,)),
        ("External training", None, (TRAINING, SKILLS)),
        ("CIPFA courses", "External training", (SKILLS,)),
    ]
    assert [e.username for e in events] == ["ilona"] * 3
    assert "'External training' (q14_further_guidance, q15_skills_capacity)" in (
        events[0].new_value or ""
    )


def test_a_theme_refused__every_problem_named__nothing_written(codebook: Engine) -> None:
    before = checksums(codebook)
    with Session(codebook) as s, pytest.raises(ThemeRefused) as refused:
        create_theme(s, actor=INTERVIEWER, wave_key="2011", name=" ",
                     variables=["q11_swia_used", "q99_none"], parent="CIPFA courses")  # fmt: skip
    assert [str(p) for p in refused.value.problems] == [
        "column theme, value '': the theme is blank",
        "column variables, value 'q11_swia_used, q99_none': not an open question of this "
        "wave's schedule: q11_swia_used, q99_none (a theme codes the answers to text questions)",
        "column parent, value 'CIPFA courses': the parent is itself under another theme; themes "
        "go two levels deep",
    ]
    with Session(codebook) as s, pytest.raises(ThemeRefused, match="already has this theme"):
        add(s, "external  TRAINING.", SKILLS)  # the same name, however typed
    unchanged(codebook, before)


def test_renamed__described__and_applied_to_other_questions__audited(codebook: Engine) -> None:
    with Session(codebook) as s:
        changed = change_theme(s, actor=INTERVIEWER, wave_key="2011", theme="capacity",
                               name="Staff capacity", description="Too few commissioners",
                               variables=[SKILLS, "q23_capacity_measures"])  # fmt: skip
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "theme.change")).one()
    assert (changed.name, changed.description, changed.variables) == (
        "Staff capacity", "Too few commissioners", (SKILLS, "q23_capacity_measures"),
    )  # fmt: skip
    assert event.old_value == "'Capacity' (q15_skills_capacity): "
    assert event.new_value == (
        "'Staff capacity' (q15_skills_capacity, q23_capacity_measures): Too few commissioners"
    )


def test_merged__the_other_keeps_its_name_and_gains_questions_and_children(
    codebook: Engine,
) -> None:
    with Session(codebook) as s:
        merge_themes(s, actor=INTERVIEWER, wave_key="2011", theme="External training",
                     into="Capacity")  # fmt: skip
        themes = list_themes(s, actor=INTERVIEWER, wave_key="2011")
        with pytest.raises(ThemeRefused, match="cannot be merged into itself"):
            merge_themes(s, actor=INTERVIEWER, wave_key="2011", theme="Capacity", into="capacity")
    assert shown(themes) == [
        ("Capacity", None, (TRAINING, SKILLS)),
        ("CIPFA courses", "Capacity", (SKILLS,)),
    ]


def test_a_codebook_reused_in_the_next_wave__exported_and_imported_whole(
    codebook: Engine,
) -> None:
    with Session(codebook) as s:
        create_wave(s, actor=ADMIN, key="2026", title="Follow-up",
                    instrument_text=instrument_text("schedule_2011"),
                    instrument_name="schedule_2011")  # fmt: skip
        for fmt in ("csv", "xlsx"):
            data = export_codebook(s, actor=INTERVIEWER, wave_key="2011", fmt=fmt)
            key = f"next-{fmt}"
            create_wave(s, actor=ADMIN, key=key, title="Next",
                        instrument_text=instrument_text("schedule_2011"),
                        instrument_name="schedule_2011")  # fmt: skip
            import_codebook(s, actor=INTERVIEWER, wave_key=key, data=data,
                            filename=f"codebook.{fmt}")  # fmt: skip
            assert shown(list_themes(s, actor=INTERVIEWER, wave_key=key)) == shown(
                list_themes(s, actor=INTERVIEWER, wave_key="2011")
            )
    text = export_text(codebook)
    assert text.splitlines()[0] == "theme,parent,description,variables,report"
    assert "External training,,,q14_further_guidance;q15_skills_capacity," in text


def export_text(engine: Engine) -> str:
    with Session(engine) as s:
        return export_codebook(s, actor=INTERVIEWER, wave_key="2011").decode("utf-8-sig")


def test_a_codebook_file_refused__every_problem_by_row_and_column__nothing_written(
    codebook: Engine,
) -> None:
    rows = [
        "Theme,Parent,Variables",
        "Local training,External training,q15_skills_capacity",  # fine: under a wave's theme
        "Capacity,,q15_skills_capacity",  # the wave has it
        "Peer support,,q15_skills_capacity;q2_strategy_involvement",  # a closed question
        "Mentoring,CIPFA courses,q15_skills_capacity",  # under a child
        "Coaching,Nowhere,q15_skills_capacity",  # no such parent
        "Shadowing,,",  # no question
        "local training,,q14_further_guidance",  # twice in the file
    ]
    before = checksums(codebook)
    with Session(codebook) as s, pytest.raises(ThemeRefused) as refused:
        import_codebook(s, actor=INTERVIEWER, wave_key="2011",
                        data="\n".join(rows).encode(), filename="codebook.csv")  # fmt: skip
    assert [(p.row, p.column, p.reason) for p in refused.value.problems] == [
        (3, "theme", "the wave already has this theme"),
        (4, "variables", "not an open question of this wave's schedule: q2_strategy_involvement "
                         "(a theme codes the answers to text questions)"),
        (5, "parent", "the parent is itself under another theme; themes go two levels deep"),
        (6, "parent", "no such theme in the file or the wave"),
        (7, "variables", "name at least one open question the theme applies to"),
        (8, "theme", "duplicate theme: row 2 has the same name"),
    ]  # fmt: skip
    unchanged(codebook, before)


def test_who_may_change_the_codebook__and_never_in_a_closed_wave(codebook: Engine) -> None:
    with Session(codebook) as s, pytest.raises(PermissionDenied):
        create_theme(s, actor=AUDITOR, wave_key="2011", name="Mine", variables=[SKILLS])
    with Session(codebook) as s:
        assert "Mine" not in [t.name for t in list_themes(s, actor=AUDITOR, wave_key="2011")]
        close_wave(s, actor=ADMIN, wave_key="2011", reason="report published")
    closed = checksums(codebook)
    with Session(codebook) as s, pytest.raises(WaveClosed):
        add(s, "Late theme", SKILLS)
    after = checksums(codebook)
    assert after.pop("audit_event").rows == closed.pop("audit_event").rows + 1  # the refusal
    assert after == closed
    with Session(codebook) as s:
        refused = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert refused is not None
    assert (refused.action, refused.new_value) == ("permission.denied", "manage the codebook")


@pytest.mark.sqlite_only
def test_cli__add__list__export__import(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "codebook.csv"
    assert survey_cli.main(["themes", "add", "--wave", "2011", "--name", "Fair work",
                            "--variables", "q17c_problems,q18c_improve_quality",
                            "--description", "Pay and conditions"]) == 0  # fmt: skip
    pay = ["--name", "Pay", "--variables", "q17c_problems", "--parent", "fair work"]
    assert survey_cli.main(["themes", "add", "--wave", "2011", *pay]) == 0
    assert survey_cli.main(["themes", "list", "--wave", "2011"]) == 0
    listed = capsys.readouterr().out.splitlines()[-2:]
    assert listed == [
        "Fair work (q17c_problems, q18c_improve_quality): Pay and conditions",
        "  Pay (q17c_problems)",
    ]
    assert survey_cli.main(["themes", "export", "--wave", "2011", "--out", str(out)]) == 0
    assert survey_cli.main(["wave", "create", "--key", "2026", "--title", "Next",
                            "--instrument", "instrument/schedule_2011.yaml"]) == 0  # fmt: skip
    assert survey_cli.main(["themes", "import", str(out), "--wave", "2026"]) == 0
    assert "2 themes added to wave 2026" in capsys.readouterr().out
    assert survey_cli.main(["themes", "import", str(out), "--wave", "2026"]) == 2
    assert "row 2, column theme, value 'Fair work': the wave already has this theme" in (
        capsys.readouterr().err
    )


def test_a_themes_report_sentence__checked__kept__and_in_the_codebook_file(
    codebook: Engine,
) -> None:
    with Session(codebook) as s, pytest.raises(ThemeRefused) as refused:
        change_theme(s, actor=INTERVIEWER, wave_key="2011", theme="Capacity",
                     report="{count council} said so {label council}.")  # fmt: skip
    assert [p.column for p in refused.value.problems] == ["report"]
    assert "unknown code 'count'" in str(refused.value)
    with Session(codebook) as s:
        change_theme(s, actor=INTERVIEWER, wave_key="2011", theme="Capacity",
                     report="{n council} said they lacked {label}.")  # fmt: skip
    assert "Capacity,,,q15_skills_capacity,{n council} said they lacked {label}." in (
        export_text(codebook)
    )
