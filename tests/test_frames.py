"""Sample frames loaded from a file of codes and names: the file checked whole (every problem
with its row and column, nothing written), then the frame and its members in one go, a wave
surveying them, files naming them by their aliases; by the service, the CLI and a backup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import survey_cli
from db.models import AuditEvent
from flatfile.frames import MAX_MEMBERS, FrameMember, check_frame_file
from instrument.loader import instrument_text
from instrument.values import match_key
from ops.backup import BackupRefused, restore_backup, write_backup
from services.actor import Actor
from services.frames import FrameRefused, load_frame, sample_frames
from services.imports import import_wave
from services.interviews import wave_instrument, wave_interviews
from services.permissions import PermissionDenied
from services.waves import WaveProblem, create_wave
from tests.conftest import INTERVIEWER, table_checksums
from tests.wave_builder import build_wave, columns, csv_bytes

ADMIN = Actor("ada", "admin")
SCHEDULE = instrument_text("schedule_2011")
HEADER = ["code", "name", "aliases"]
BOARDS = [
    {"code": "S08000015", "name": "NHS Ayrshire and Arran", "aliases": "Ayrshire & Arran;NHS A&A"},
    {"code": "S08000016", "name": "NHS Borders", "aliases": ""},
    {"code": "S08000017", "name": "NHS Dumfries and Galloway", "aliases": "NHS D&G"},
]
FIFE = "Fife (S12000047) of sample frame councils"


def frame_file(rows: list[dict[str, str]], header: list[str] = HEADER) -> bytes:
    return csv_bytes(rows, header)


def checked(
    data: bytes, taken: dict[str, str] | None = None
) -> tuple[list[FrameMember], list[str]]:
    """The pure checks alone, with Fife's code and name taken by the councils frame."""
    taken = {match_key("S12000047"): FIFE, match_key("Fife"): FIFE} if taken is None else taken
    members, problems = check_frame_file(data, "boards.csv", match_key=match_key, taken=taken)
    return members, [str(p) for p in problems]


def load_boards(engine: Engine, data: bytes | None = None, **given: str) -> None:
    """The boards file (or `data`) loaded by an administrator; key, title, member as given."""
    with Session(engine) as s:
        load_frame(
            s,
            actor=ADMIN,
            key=given.get("key", "boards"),
            title=given.get("title", "The 14 NHS health boards"),
            member=given.get("member", "health board"),
            data=frame_file(BOARDS) if data is None else data,
            filename="boards.csv",
        )


# --- the file, checked without a database -----------------------------------------------------


def test_a_good_file__every_member_with_its_aliases__column_names_in_any_case() -> None:
    data = (
        "\ufeffCode,NAME,Aliases\r\n"
        "S08000015,NHS Ayrshire and Arran, NHS A&A ; ;nhs ayrshire & arran\r\n"
        ",,\r\n"
        "S08000016,NHS Borders,\r\n"
    )

    members, problems = checked(data.encode())

    assert problems == []
    assert members == [  # the alias that is the name again, said otherwise, is kept once
        FrameMember("S08000015", "NHS Ayrshire and Arran", ("NHS A&A",)),
        FrameMember("S08000016", "NHS Borders"),
    ]


def test_every_problem_of_every_row__with_its_row_and_column() -> None:
    rows = [
        {"code": "S08000015", "name": "NHS Ayrshire and Arran"},  # row 2: fine
        {"code": "", "name": "NHS Borders"},  # row 3
        {"code": "X" * 41, "name": "NHS Dumfries and Galloway"},  # row 4
        {"code": "Y" * 40, "name": "NHS Fife"},  # row 5: 40 characters is allowed
        {"code": "S08000015", "name": "nhs ayrshire & arran"},  # row 6: both taken by row 2
        {"code": "S12000047", "name": "NHS Forth Valley", "aliases": "Fife;NHS FV"},  # row 7
        {"code": "S08000020", "name": "", "aliases": "NHS Borders"},  # row 8
        {"code": "S08000021", "name": "NHS Grampian", "aliases": "A&" * 30},  # row 9
    ]

    members, problems = checked(frame_file(rows))

    assert problems == [
        "row 3, column code, value '': the code is blank",
        f"row 4, column code, value '{'X' * 41}': the code is 41 characters long; at most 40",
        "row 6, column code, value 'S08000015': duplicate code: row 2 has the same code",
        "row 6, column name, value 'nhs ayrshire & arran': duplicate name: row 2 has the same "
        "name",
        f"row 7, column code, value 'S12000047': already used by {FIFE}",
        f"row 7, column aliases, value 'Fife': already used by {FIFE}",
        "row 8, column name, value '': the name is blank",
        "row 8, column aliases, value 'NHS Borders': duplicate alias: row 3 has the same name",
        f"row 9, column aliases, value '{'A&' * 30}': the alias is 179 characters long "
        "with each '&' written 'and'; at most 100",
    ]
    assert [m.code for m in members] == ["S08000015", "Y" * 40]  # nothing is loaded anyway


def test_columns_unknown_repeated_or_missing__said_on_row_1() -> None:
    _, problems = checked(b"code,name,name,region\nS08000015,NHS Ayrshire and Arran,,South\n")
    assert problems == [  # which is the name? no row can be read: the header alone is said
        "row 1: column 'name' appears 2 times (columns 2 and 3)",
        "row 1: unknown column(s): region",
    ]
    assert checked(b"code,title\nS08000015,NHS Ayrshire and Arran\n")[1] == [
        "row 1: unknown column(s): title",
        "row 1: missing column(s): name",
    ]
    # a column of notes besides code and name: said, and every row checked all the same
    assert checked(b"code,name,region\n,NHS Borders,South\n")[1] == [
        "row 1: unknown column(s): region",
        "row 2, column code, value '': the code is blank",
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"code,name\r\n\r\n", "the file has column names but no data rows"),
        (b"", "the file is empty"),
        ("code,name\r\nS1,Åland\r\n".encode("utf-16"), "the file is UTF-16 text"),
        (b"code;name;aliases\r\nS1;A;B\r\n", "the columns are separated by semicolons"),
        (
            b"code,name\r\n" + b"".join(b"C%d,N%d\r\n" % (i, i) for i in range(MAX_MEMBERS + 1)),
            f"the file has more than {MAX_MEMBERS:,} rows of data",
        ),
    ],
    ids=["no rows", "empty", "utf-16", "semicolons", "too many rows"],
)
def test_a_file_that_is_no_frame__one_problem_that_says_why(data: bytes, problem: str) -> None:
    members, problems = checked(data)
    assert members == [] and len(problems) == 1 and problems[0].startswith(problem), problems


# --- loading: the service ---------------------------------------------------------------------


def test_loaded__a_wave_surveys_its_members__files_name_them_by_alias(engine: Engine) -> None:
    load_boards(engine)

    with Session(engine) as s:
        frames = sample_frames(s, actor=INTERVIEWER)
        boards = frames["boards"]
        assert list(frames) == ["councils", "partnerships", "boards"]
        assert (boards.title, boards.members, boards.plural) == (
            "The 14 NHS health boards", 3, "health boards",
        )  # fmt: skip
        assert boards.origin.startswith("loaded by ada on ")
        assert frames["councils"].origin == "shipped with the survey"
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "frame.load"))
        assert event.target == "sample frame boards" and event.username == "ada"
        assert (event.new_value or "").startswith("The 14 NHS health boards · 3 health boards")

        wave = create_wave(s, actor=ADMIN, key="boards-2027", title="Health boards 2027",
                           instrument_text=SCHEDULE, instrument_name="schedule_2011",
                           frame="boards")  # fmt: skip
        interviews = wave_interviews(s, actor=INTERVIEWER, wave_key="boards-2027")
        assert wave.frame == "boards"
        assert [(i.council_code, i.council_name) for i in interviews] == [
            (b["code"], b["name"]) for b in BOARDS
        ]
        schedule = wave_instrument(s, actor=INTERVIEWER, wave_key="boards-2027")
        row = build_wave(schedule)[0]
        row.update(council_code="NHS A&A", council_name="Ayrshire and Arran")  # aliases
        data = csv_bytes([row], columns(schedule))
        report = import_wave(s, actor=INTERVIEWER, wave_key="boards-2027", data=data)
        assert report.councils == 1


def test_refused__every_problem_listed__nothing_written(engine: Engine) -> None:
    rows = [*BOARDS, {"code": "S08000016", "name": "Fife"}]  # row 5: code and name taken
    with Session(engine) as s:
        before = table_checksums(s)

    with pytest.raises(FrameRefused) as refused:
        load_boards(engine, frame_file(rows), key="councils", title=" ", member="3 boards")

    assert refused.value.code == "frame.refused"
    assert refused.value.where.file == "boards.csv"
    assert [str(p) for p in refused.value.problems] == [
        "there is already a sample frame 'councils'",
        "give the sample frame a title (e.g. 'The 14 NHS health boards')",
        "the word for one member, '3 boards', must be 1 to 40 letters, spaces, '-' or \"'\", "
        "such as 'health board' or 'organisation'",
        "row 5, column code, value 'S08000016': duplicate code: row 3 has the same code",
        f"row 5, column name, value 'Fife': already used by {FIFE}",
    ]
    with Session(engine) as s:
        assert table_checksums(s) == before  # no frame, no member, no audit row
        assert list(sample_frames(s, actor=ADMIN)) == ["councils", "partnerships"]


def test_a_frame_already_loaded_cannot_be_loaded_again(engine: Engine) -> None:
    load_boards(engine)
    with pytest.raises(FrameRefused) as refused:
        load_boards(engine, key="boards")
    problems = [str(p) for p in refused.value.problems]
    assert problems[0] == "there is already a sample frame 'boards'"
    board = "NHS Ayrshire and Arran (S08000015) of sample frame boards"
    assert f"row 2, column code, value 'S08000015': already used by {board}" in problems


def test_only_an_administrator_loads_a_frame__the_refusal_is_logged(engine: Engine) -> None:
    data = frame_file(BOARDS)
    with Session(engine) as s, pytest.raises(PermissionDenied, match="may not manage sample"):
        load_frame(s, actor=INTERVIEWER, key="boards", title="Boards", data=data)
    with Session(engine) as s:
        assert "boards" not in sample_frames(s, actor=INTERVIEWER)
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "permission.denied"))
        assert (event.target, event.new_value) == ("sample frame boards", "manage sample frames")


def test_a_wave_of_an_unknown_frame__the_loaded_ones_are_offered(engine: Engine) -> None:
    load_boards(engine)
    with Session(engine) as s, pytest.raises(WaveProblem) as refused:
        create_wave(s, actor=ADMIN, key="x", title="x", instrument_text=SCHEDULE,
                    instrument_name="schedule_2011", frame="board")  # fmt: skip
    assert str(refused.value) == (
        "there is no sample frame 'board'; use one of boards, councils, partnerships"
    )


def test_a_loaded_frame_is_backed_up_and_restored__a_database_with_one_is_not_empty(
    engine: Engine, fresh_database: Callable[[str], Engine], tmp_path: Path
) -> None:
    load_boards(engine)
    backup = tmp_path / "survey.backup"
    write_backup(engine, actor=ADMIN, out=backup)

    restored = fresh_database("restored")
    restore_backup(restored, actor=ADMIN, source=backup)
    with Session(restored) as s:
        assert sample_frames(s, actor=ADMIN)["boards"].members == 3
    with pytest.raises(BackupRefused, match=r"it has loaded sample frame\(s\) boards"):
        restore_backup(restored, actor=ADMIN, source=backup)


# --- the command line -------------------------------------------------------------------------


def test_cli__load__list__and_a_wave_of_it(
    engine: Engine, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boards = tmp_path / "boards.csv"
    boards.write_bytes(frame_file(BOARDS))
    schedule = tmp_path / "schedule_2027.yaml"
    schedule.write_text(SCHEDULE, encoding="utf-8")

    assert survey_cli.main(["frame", "load", "boards", "--title", "The 14 NHS health boards",
                            "--file", str(boards), "--member", "health board"]) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[0] == (
        "Sample frame boards loaded: The 14 NHS health boards, 3 health boards."
    )
    assert survey_cli.main(["frame", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[:2] == [
        "councils       Scotland's 32 councils",
        "               32 councils, shipped with the survey",
    ]
    assert listed[4] == "boards         The 14 NHS health boards"
    assert listed[5].startswith("               3 health boards, loaded by operator:")
    assert survey_cli.main(["wave", "create", "--key", "2027", "--title", "Boards 2027",
                            "--instrument", str(schedule), "--frame", "boards"]) == 0  # fmt: skip
    assert "Wave 2027 created: Boards 2027, 3 health boards." in capsys.readouterr().out


def test_cli__a_refused_file__every_problem_on_stderr__exit_2(
    engine: Engine, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    rows = [{"aliases": "Nowhere"}, {"code": "S12000047", "name": "Somewhere"}]
    bad.write_bytes(frame_file(rows))

    assert survey_cli.main(["frame", "load", "bad", "--title", "Bad", "--file", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "error [frame.refused]: bad.csv: sample frame not loaded, nothing was written "
        "(3 problems):",
        "  - row 2, column code, value '': the code is blank",
        "  - row 2, column name, value '': the name is blank",
        f"  - row 3, column code, value 'S12000047': already used by {FIFE}",
    ]
    assert survey_cli.main(["frame", "load", "x", "--title", "X", "--file", "nowhere.csv"]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read nowhere.csv: ")
    assert survey_cli.main(["frame", "list"]) == 0
    assert "bad " not in capsys.readouterr().out
