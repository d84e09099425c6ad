"""Command line for the survey database: a thin shell over the services in db/.

Every command honours DATABASE_URL and initialises an empty database itself.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregation.report import report_json, report_markdown
from aggregation.response import response_figures
from aggregation.supplement import supplement_docx
from db import open_database
from db.actor import Actor
from db.demo import fill_demo_wave
from db.engine import database_url
from db.flatfile import ImportRefused, export_wave, import_wave
from db.interviews import NotFound, get_wave, wave_interviews
from db.results import load_results
from db.setup import DEFAULT_WAVE
from instrument import InstrumentError

CLI_ACTOR = Actor("cli", "interviewer")


def cmd_init(engine: Engine, args: argparse.Namespace) -> int:
    """Create or upgrade the schema, seed the councils, create wave 2011 (done on open)."""
    with Session(engine) as session:
        interviews = wave_interviews(session, actor=CLI_ACTOR, wave_key=DEFAULT_WAVE)
    print(f"Database ready: {_shown_url()}")
    print(f"Wave {DEFAULT_WAVE}: {len(interviews)} councils.")
    return 0


def cmd_status(engine: Engine, args: argparse.Namespace) -> int:
    """Print the fieldwork headline and each council's status."""
    with Session(engine) as session:
        interviews = wave_interviews(session, actor=CLI_ACTOR, wave_key=args.wave)
    print(response_figures(i.status for i in interviews).headline)
    for i in interviews:
        print(f"  {i.council_code}  {i.council_name:<24} {i.status}")
    return 0


def cmd_export(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        data = export_wave(session, actor=CLI_ACTOR, wave_key=args.wave, fmt=args.format)
    Path(args.out).write_bytes(data)
    print(f"Exported wave {args.wave} to {args.out} ({len(data):,} bytes).")
    return 0


def cmd_import(engine: Engine, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    with Session(engine) as session:
        try:
            report = import_wave(
                session,
                actor=CLI_ACTOR,
                wave_key=args.wave,
                data=data,
                filename=path.name,
                replace=args.replace,
            )
        except ImportRefused as exc:
            print(f"{path}: import refused, nothing was written.", file=sys.stderr)
            print(f"{len(exc.problems)} problem(s):", file=sys.stderr)
            for problem in exc.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
    print(
        f"Imported {report.councils} council(s) into wave {args.wave}: "
        f"{report.values_changed} value(s) written."
    )
    if report.replaced:
        print(
            f"Replaced answers of: {', '.join(report.replaced)} (previous values in the history)."
        )
    return 0


def cmd_report(engine: Engine, args: argparse.Namespace) -> int:
    """Print (or write) the wave's national results: JSON, Markdown, or the Word supplement."""
    with Session(engine) as session:
        results = load_results(session, actor=CLI_ACTOR, wave_key=args.wave)
        title = get_wave(session, args.wave).title
    if args.format == "docx":
        if not args.out:
            print("error: --format docx needs --out FILE", file=sys.stderr)
            return 2
        Path(args.out).write_bytes(supplement_docx(results, title))
        print(f"Wrote the draft report supplement of wave {args.wave} to {args.out}.")
        return 0
    if args.format == "json":
        text = report_json(results.wave_key, results.figures, results.tallies)
    else:
        text = report_markdown(results.wave_key, title, results.figures, results.tallies)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote the {args.format} report of wave {args.wave} to {args.out}.")
    else:
        sys.stdout.write(text)
    return 0


def cmd_demo(engine: Engine, args: argparse.Namespace) -> int:
    """Fill wave `demo` with synthetic answers so a newcomer sees a full dashboard at once."""
    with Session(engine) as session:
        report = fill_demo_wave(session, actor=CLI_ACTOR)
    print(f"Wave {report.wave_key}: {report.title}.")
    if report.answers_replaced or report.history_replaced:
        print(
            f"Replaced the previous demo data: {report.answers_replaced} answers and "
            f"{report.history_replaced} history rows."
        )
    print(
        f"{report.completed} completed interviews, {len(report.declined)} declined "
        f"({', '.join(report.declined)}); {report.answers_written} answers written. "
        "No other wave was touched."
    )
    return 0


def _shown_url() -> str:
    """The database URL without any password."""
    from sqlalchemy.engine import make_url

    return make_url(database_url()).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="survey_cli.py",
        description="Commissioning social care survey: database, flat files and reports.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[Engine, argparse.Namespace], int], help: str):  # type: ignore[no-untyped-def]
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    command("init", cmd_init, "create or upgrade the database, seed councils, create wave 2011")
    status = command("status", cmd_status, "print the fieldwork headline and each council's status")
    status.add_argument("--wave", default=DEFAULT_WAVE)
    export = command("export", cmd_export, "write a wave as a CSV or XLSX flat file")
    export.add_argument("--wave", default=DEFAULT_WAVE)
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    imp = command("import", cmd_import, "read a CSV or XLSX flat file into a wave (all or nothing)")
    imp.add_argument("file", help="the CSV or XLSX file to read")
    imp.add_argument("--wave", default=DEFAULT_WAVE)
    imp.add_argument(
        "--replace",
        action="store_true",
        help="overwrite councils that already have answers (changes go to the history)",
    )
    report = command("report", cmd_report, "print the national results of a wave")
    report.add_argument("--wave", default=DEFAULT_WAVE)
    report.add_argument("--format", choices=("json", "markdown", "docx"), default="json")
    report.add_argument("--out", help="write to this file instead of printing")
    command(
        "demo",
        cmd_demo,
        "fill wave 'demo' with synthetic answers (replacing any earlier demo; no other wave)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        engine = open_database()
        return args.handler(engine, args)
    except InstrumentError as exc:
        print(f"error: the instrument is invalid, nothing was done.\n{exc}", file=sys.stderr)
        return 2
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
