"""The files analysts use, for a wave: the answers as SPSS `.sav`, Stata `.dta` and a
Frictionless data package, and the instrument as an XLSForm and a Word codebook. One place
makes each, so the command line (`export --format`) and the Dashboard hand over the same file.

The data files are the flat file's rows (`services.export.export_rows`): one row per council,
only councils that have validated their submission unless the caller asks for the draft, and
verbatim text only for those entitled to it. The instrument files hold no council data; like
everything about a wave's contents they are for the audit team's accounts (staff)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from flatfile.datapackage import data_package as package_zip
from flatfile.datapackage import slug
from instrument.progress import routing_text
from instrument.schedule import Instrument
from services.actor import Actor
from services.export import export_rows
from services.interviews import WaveSummary, get_wave, pinned, wave_summary_of
from services.permissions import require

READ = "read the wave"


def spss_file(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> bytes:
    """The answers as an SPSS system file (`flatfile.spss_stata.sav_bytes`)."""
    from flatfile.spss_stata import sav_bytes  # pyreadstat: loaded for these files only

    wave, instrument, header, rows = _answers(session, actor, wave_key, include_unvalidated)
    return sav_bytes(
        instrument,
        header,
        rows,
        member=wave.member,
        file_label=_file_label(wave, include_unvalidated),
        notes=[_view(wave, include_unvalidated), _numbering_note()],
    )


def stata_file(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> bytes:
    """The answers as a Stata dataset (`flatfile.spss_stata.dta_bytes`)."""
    from flatfile.spss_stata import dta_bytes

    wave, instrument, header, rows = _answers(session, actor, wave_key, include_unvalidated)
    return dta_bytes(
        instrument,
        header,
        rows,
        member=wave.member,
        file_label=_file_label(wave, include_unvalidated),
    )


def data_package(
    session: Session, *, actor: Actor, wave_key: str, include_unvalidated: bool = False
) -> bytes:
    """The answers as a Frictionless data package, zipped (`flatfile.datapackage`)."""
    wave, instrument, header, rows = _answers(session, actor, wave_key, include_unvalidated)
    return package_zip(
        instrument,
        header,
        rows,
        name=f"{instrument.name}-wave-{wave.key}{'-draft' if include_unvalidated else ''}",
        title=wave.title,
        description=(
            f"{_view(wave, include_unvalidated)} {instrument.introduction} Reserved codes "
            "(no_answer: did not answer; dont_know: don't know; not_applicable: not asked, "
            "by the schedule's routing) are the schema's missing values. The licence is for "
            "the publisher to set before release."
        ),
        member=wave.member,
        routing=_routing(instrument),
    )


def xlsform(session: Session, *, actor: Actor, wave_key: str) -> bytes:
    """The wave's instrument as an XLSForm for KoboToolbox or ODK (`flatfile.xlsform`)."""
    from flatfile.xlsform import xlsform_bytes  # openpyxl: for this file only

    wave, instrument = _instrument(session, actor, wave_key)
    return xlsform_bytes(
        instrument,
        form_id=slug(f"{instrument.name}_{wave.key}").replace("-", "_").replace(".", "_"),
        title=wave.title,
        version=wave.instrument_sha256[:12] or wave.key,
    )


def codebook_document(session: Session, *, actor: Actor, wave_key: str) -> bytes:
    """The wave's instrument as a Word codebook (`flatfile.codebook_docx`)."""
    from flatfile.codebook_docx import codebook_docx  # python-docx: for this file only

    wave, instrument = _instrument(session, actor, wave_key)
    return codebook_docx(
        instrument,
        title=wave.title,
        wave_key=wave.key,
        instrument_sha256=wave.instrument_sha256,
        member=wave.member,
        routing=_routing(instrument),
    )


@dataclass(frozen=True)
class AnalysisFile:
    """One of the files, as the command line and the Dashboard offer it."""

    format: str  # `survey_cli.py export --format …`
    label: str  # the download button's words
    suffix: str  # how the file's name ends
    mime: str
    holds_answers: bool  # council data, under the publication rule; else the instrument only
    help: str

    def file_name(self, wave_key: str, *, draft: bool = False) -> str:
        """'answers_2011.sav', 'answers_2011_DRAFT.dta', 'instrument_2011_xlsform.xlsx'."""
        if not self.holds_answers:
            return f"instrument_{slug(wave_key)}{self.suffix}"
        return f"answers_{slug(wave_key)}{'_DRAFT' if draft else ''}{self.suffix}"


ANALYSIS_FILES: tuple[AnalysisFile, ...] = (
    AnalysisFile("sav", "SPSS (.sav)", ".sav", "application/x-spss-sav", True,
                 "One row per council: value labels, reserved codes as missing values."),
    AnalysisFile("dta", "Stata (.dta)", ".dta", "application/x-stata-dta", True,
                 "One row per council: value labels, reserved codes as .a .b .c."),
    AnalysisFile("datapackage", "Data package (.zip)", "_datapackage.zip", "application/zip",
                 True, "Frictionless data package: the answers as CSV with a table schema."),
    AnalysisFile("xlsform", "XLSForm (.xlsx)", "_xlsform.xlsx",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False,
                 "The schedule for KoboToolbox or ODK, with its routing. No council data."),
    AnalysisFile("codebook", "Codebook (Word)", "_codebook.docx",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 False, "Every variable: wording, codes and their numbers, routing."),
)  # fmt: skip
FORMATS: dict[str, AnalysisFile] = {f.format: f for f in ANALYSIS_FILES}


def analysis_file(
    session: Session,
    *,
    actor: Actor,
    wave_key: str,
    fmt: str,
    include_unvalidated: bool = False,
) -> bytes:
    """The file of `fmt` (one of `FORMATS`) for the wave; the draft flag applies to the
    files of answers only."""
    if fmt not in FORMATS:
        raise ValueError(f"no analysis file {fmt!r}: one of {', '.join(FORMATS)}")
    if FORMATS[fmt].holds_answers:
        return _MAKERS[fmt](
            session, actor=actor, wave_key=wave_key, include_unvalidated=include_unvalidated
        )
    return _MAKERS[fmt](session, actor=actor, wave_key=wave_key)


_MAKERS: dict[str, Callable[..., bytes]] = {
    "sav": spss_file,
    "dta": stata_file,
    "datapackage": data_package,
    "xlsform": xlsform,
    "codebook": codebook_document,
}


def _answers(
    session: Session, actor: Actor, wave_key: str, include_unvalidated: bool
) -> tuple[WaveSummary, Instrument, list[str], list[list[str]]]:
    require(session, actor, READ, target=f"wave {wave_key}")
    header, rows = export_rows(
        session, actor=actor, wave_key=wave_key, include_unvalidated=include_unvalidated
    )
    wave = get_wave(session, wave_key)
    return wave_summary_of(wave), pinned(wave), header, rows


def _instrument(session: Session, actor: Actor, wave_key: str) -> tuple[WaveSummary, Instrument]:
    require(session, actor, READ, target=f"wave {wave_key}")
    wave = get_wave(session, wave_key)
    return wave_summary_of(wave), pinned(wave)


def _routing(instrument: Instrument) -> dict[str, str]:
    """Whom each routed question was asked of, in the dashboard's words."""
    said = {v.id: routing_text(instrument, v.id) for v in instrument.questions}
    return {k: v for k, v in said.items() if v}


def _view(wave: WaveSummary, draft: bool) -> str:
    if draft:
        return (
            f"DRAFT: every {wave.member} interviewed, including those that have not validated "
            "their submission; not to be published."
        )
    return f"Published view: only {wave.members} that have validated their submission."


def _file_label(wave: WaveSummary, draft: bool) -> str:
    return f"{'DRAFT ' if draft else ''}Wave {wave.key}: {wave.title}"


def _numbering_note() -> str:
    return (
        "Choices are numbered 1, 2, 3 in the schedule's order; reserved codes are -9 did not "
        "answer, -8 don't know, -7 not applicable (user-missing); a blank is system-missing. "
        "Multiple choices: the codes as text, then a 0/1 indicator per choice, <id>_<code>."
    )
