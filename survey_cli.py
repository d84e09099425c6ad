"""Command line for the survey database: a thin shell over the services in db/.

Every command honours DATABASE_URL and initialises an empty database itself.
"""

from __future__ import annotations

import gc

# A command's start makes a few hundred thousand objects (the libraries' modules, the ORM's
# mappings, the schedule), none of them garbage. Collecting them while they are imported, and
# again as the process ends, cost a cold `report` a third of its time. So nothing is collected
# during the imports, what they made is kept out of later collections (`gc.freeze`), and the
# process ends without a last collection (the end of this file).
gc.disable()

import argparse
import datetime as dt
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from aggregation.response import response_figures
from db import open_database
from db.councils import COUNCILS
from db.engine import database_url
from db.setup import DEFAULT_WAVE
from flatfile.table import MAX_FILE_BYTES
from instrument import DEFAULT_INSTRUMENT, load_instrument
from instrument.errors import SurveyError
from instrument.loader import instrument_text
from instrument.vocabulary import Role
from ops.demo import DEMOS, fill_demo_wave

if TYPE_CHECKING:
    from services.imports import Progress
    from services.subject import SubjectFindings
from services.accounts import (
    AccountProblem,
    add_account,
    command_line_actor,
    disable_account,
    enable_account,
    list_accounts,
    reset_password,
)
from services.actor import Actor
from services.analysis_files import FORMATS
from services.export import export_wave
from services.frames import DEFAULT_MEMBER
from services.interviews import list_waves, wave_interviews
from services.waves import (
    WaveProblem,
    close_wave,
    create_wave,
    recount,
    set_disclosure_threshold,
    set_fieldwork_dates,
)

gc.freeze()
gc.enable()


def cmd_init(engine: Engine, args: argparse.Namespace) -> int:
    """Create or upgrade the schema, seed the councils, create wave 2011 (done on open)."""
    with Session(engine) as session:
        interviews = wave_interviews(session, actor=args.actor, wave_key=DEFAULT_WAVE)
    print(f"Database ready: {_shown_url()}")
    print(f"Wave {DEFAULT_WAVE}: {len(interviews)} councils.")
    return 0


def cmd_status(engine: Engine, args: argparse.Namespace) -> int:
    """Print the fieldwork headline and each council's status."""
    with Session(engine) as session:
        interviews = wave_interviews(session, actor=args.actor, wave_key=args.wave)
    print(response_figures(i.status for i in interviews).headline)
    for i in interviews:
        print(f"  {i.council_code}  {i.council_name:<24} {i.status}")
    return 0


def cmd_export(engine: Engine, args: argparse.Namespace) -> int:
    """The wave as a flat file (csv, xlsx), an analysis file (sav, dta, datapackage) or its
    instrument (xlsform, codebook): `services.export`, `services.analysis_files`."""
    from services.analysis_files import analysis_file

    made = analysis_file if args.format in FORMATS else export_wave
    with Session(engine) as session:
        data = made(session, actor=args.actor, wave_key=args.wave, fmt=args.format,
                    include_unvalidated=args.include_unvalidated)  # fmt: skip
    Path(args.out).write_bytes(data)
    print(f"Exported wave {args.wave} to {args.out} ({len(data):,} bytes).")
    if args.format in FORMATS and not FORMATS[args.format].holds_answers:
        print("The file holds the wave's instrument only, no council's answers.")
    elif args.include_unvalidated:
        print(
            "DRAFT: this file includes councils that have not validated their submission; "
            "do not publish it.",
            file=sys.stderr,
        )
    else:
        print("Only councils that have validated their submission are included.")
    return 0


def cmd_import(engine: Engine, args: argparse.Namespace) -> int:
    """Import a wave's file, read as it goes (any size), with a progress bar on standard
    error when that is a terminal."""
    from services.imports import import_wave

    path = Path(args.file)
    try:
        file = path.open("rb")
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    bar = _ProgressBar(sys.stderr) if sys.stderr.isatty() or args.progress else None
    with file, Session(engine) as session:
        try:
            report = import_wave(session, actor=args.actor, wave_key=args.wave, data=file,
                                 filename=path.name, replace=args.replace, reason=args.reason,
                                 progress=bar)  # fmt: skip
        finally:
            if bar is not None:
                bar.done()
    print(
        f"Imported {report.councils} council(s) into wave {args.wave}: "
        f"{report.values_changed} value(s) written."
    )
    if report.replaced:
        print(
            f"Replaced answers of: {', '.join(report.replaced)} (previous values in the history)."
        )
    return 0


class _ProgressBar:
    """`[#####.....]  43%  45,000 rows` on one line of standard error, redrawn in place."""

    WIDTH = 30

    def __init__(self, out: TextIO) -> None:
        self.out, self.drawn = out, False

    def __call__(self, progress: Progress) -> None:
        share = progress.read / progress.size if progress.size else None
        filled = round(self.WIDTH * share) if share is not None else 0
        bar = "#" * filled + "." * (self.WIDTH - filled)
        percent = f"{share:4.0%}" if share is not None else "    "
        self.out.write(f"\r[{bar}] {percent}  {progress.rows:,} rows checked")
        self.out.flush()
        self.drawn = True

    def done(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.out.flush()


def _flat_file(path: Path) -> bytes | None:
    """The file's bytes, up to one past the limit (enough to refuse it); None, said on
    standard error, when it cannot be read at all."""
    try:
        with path.open("rb") as file:
            return file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None


def cmd_report(engine: Engine, args: argparse.Namespace) -> int:
    """Print (or write) the wave's national results: JSON, Markdown, or the Word supplement
    (`services.reports`, as the Dashboard's downloads)."""
    if args.format == "docx" and not args.out:
        print("error: --format docx needs --out FILE", file=sys.stderr)
        return 2
    # pandas, for the report's tables: loaded by this command alone, not by every start
    from services.reports import json_report, markdown_report, word_supplement

    with Session(engine) as session:
        if args.format == "docx":
            docx = word_supplement(session, actor=args.actor, wave_key=args.wave,
                                   compare=args.compare,
                                   include_unvalidated=args.include_unvalidated)  # fmt: skip
            Path(args.out).write_bytes(docx)
            print(f"Wrote the draft report supplement of wave {args.wave} to {args.out}.")
            return 0
        made = json_report if args.format == "json" else markdown_report
        text = made(session, actor=args.actor, wave_key=args.wave, compare=args.compare,
                    include_unvalidated=args.include_unvalidated)  # fmt: skip
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote the {args.format} report of wave {args.wave} to {args.out}.")
    else:
        sys.stdout.write(text)
    return 0


def cmd_demo(engine: Engine, args: argparse.Namespace) -> int:
    """Fill a demo wave with synthetic answers so a newcomer sees a full dashboard at once."""
    with Session(engine) as session:
        report = fill_demo_wave(session, actor=args.actor, schedule=args.schedule)
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


def cmd_backup(engine: Engine, args: argparse.Namespace) -> int:
    """Write a consistent snapshot of every table, safe to take while the app is in use."""
    from ops.backup import write_backup

    try:
        backup = write_backup(engine, actor=args.actor, out=Path(args.out))
    except OSError as exc:
        print(f"error: {exc}; no backup was written.", file=sys.stderr)
        return 1
    print(
        f"Backed up {backup.total_rows:,} rows of {len(backup.rows)} tables "
        f"(schema {backup.schema_revision}) to {args.out} ({Path(args.out).stat().st_size:,} "
        "bytes). It holds every answer and password hash: keep it as safe as the database."
    )
    return 0


def cmd_restore(engine: Engine, args: argparse.Namespace) -> int:
    """Load a backup into the (empty) database that DATABASE_URL names."""
    from ops.backup import restore_backup

    backup = restore_backup(engine, actor=args.actor, source=Path(args.file))
    print(
        f"Restored {backup.total_rows:,} rows of {len(backup.rows)} tables into {_shown_url()} "
        f"from the {backup.database} backup taken at {backup.taken_at}."
    )
    return 0


def cmd_audit_verify(engine: Engine, args: argparse.Namespace) -> int:
    """Walk the audit log's hash chain; name the first row that does not verify."""
    from services.audit_log import verify_chain

    with Session(engine) as session:
        chain = verify_chain(session, actor=args.actor)
    if not chain.intact:
        print(f"error: {chain.sentence()}", file=sys.stderr)
        return 1
    print(chain.sentence())
    print(
        f"Newest hash: {chain.head} (keep a note of it elsewhere: a log rewritten and its chain "
        "computed again would not end in the same hash)."
    )
    return 0


def cmd_grant_app_role(engine: Engine, args: argparse.Namespace) -> int:
    """As the tables' owner: give the app's PostgreSQL role what it needs, and no more."""
    from ops.app_role import grant_app_role

    statements = grant_app_role(engine, args.role)
    print(f"Granted {args.role} what the app needs on {_shown_url()}:")
    for statement in statements:
        print(f"  {statement}")
    print("It may append to the audit log and read it, and never change or empty it.")
    return 0


def cmd_wave_create(engine: Engine, args: argparse.Namespace) -> int:
    """A new wave pinned to the schedule file as it is now, one interview per council."""
    path = Path(args.instrument)
    schedule = instrument_text(path)
    with Session(engine) as session:
        wave = create_wave(
            session,
            actor=args.actor,
            key=args.key,
            title=args.title,
            instrument_text=schedule,
            instrument_name=path.stem,
            frame=args.frame,
        )
        interviews = wave_interviews(session, actor=args.actor, wave_key=wave.key)
    print(f"Wave {wave.key} created: {wave.title}, {len(interviews)} {wave.members}.")
    print(f"Schedule {path.name} pinned (SHA-256 {wave.instrument_sha256}).")
    return 0


def cmd_wave_list(engine: Engine, args: argparse.Namespace) -> int:
    """Every wave: key, title, schedule, fieldwork dates, and whether it is closed."""
    with Session(engine) as session:
        waves = list_waves(session, actor=args.actor)
    for wave in waves:
        state = (
            f"closed {wave.closed_at:%d/%m/%Y}: {wave.closed_reason}" if wave.closed_at else "open"
        )
        print(f"{wave.key:<10} {wave.title}")
        schedule = f"schedule {wave.instrument} ({wave.instrument_sha256[:12]})"
        print(f"{'':<10} {wave.frame}, {schedule}, fieldwork {wave.fieldwork_text}, {state}")
    return 0


def cmd_wave_dates(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        wave = set_fieldwork_dates(
            session,
            actor=args.actor,
            wave_key=args.key,
            start=_date_argument(args.start),
            end=_date_argument(args.end),
        )
    print(f"Wave {wave.key}: fieldwork {args.start or 'open'} to {args.end or 'open'}.")
    return 0


def cmd_wave_threshold(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        wave = set_disclosure_threshold(
            session, actor=args.actor, wave_key=args.key, threshold=args.councils
        )
    print(f"Wave {wave.key}: a published figure about fewer than {wave.disclosure_threshold} "
          f"{wave.members} is withheld.")  # fmt: skip
    return 0


def cmd_recount(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        found = recount(session, actor=args.actor, wave_key=args.wave)
    lines = f"{found.lines:,} counter line{'' if found.lines == 1 else 's'}"
    was = "was" if found.drifted == 1 else "were"
    drift = (f"{found.drifted:,} had drifted from the answers and {was} corrected"
             if found.drifted else "none had drifted")  # fmt: skip
    print(f"Wave {args.wave}: {lines} counted afresh from the answers; {drift}.")
    return 0


def cmd_wave_validated_elsewhere(engine: Engine, args: argparse.Namespace) -> int:
    from services.review import validated_elsewhere

    with Session(engine) as session:
        names = validated_elsewhere(session, actor=args.actor, wave_key=args.key,
                                    evidence=args.evidence, councils=args.council)  # fmt: skip
    print(f"Wave {args.key}: {len(names)} submission(s) recorded as validated"
          + (f": {', '.join(names)}." if names else "."))  # fmt: skip
    return 0


def cmd_wave_close(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        wave = close_wave(session, actor=args.actor, wave_key=args.key, reason=args.reason)
    print(f"Wave {wave.key} closed: nothing in it can change from now on.")
    return 0


def cmd_frame_load(engine: Engine, args: argparse.Namespace) -> int:
    """A new sample frame from a file of codes and names: all of it, or every problem listed."""
    from services.frames import load_frame

    path = Path(args.file)
    data = _flat_file(path)
    if data is None:
        return 2
    with Session(engine) as session:
        frame = load_frame(session, actor=args.actor, key=args.key, title=args.title,
                           data=data, filename=path.name, member=args.member)  # fmt: skip
    print(f"Sample frame {frame.key} loaded: {frame.title}, {frame.members} {frame.plural}.")
    print(f"A wave surveys them with `survey_cli.py wave create ... --frame {frame.key}`.")
    return 0


def cmd_frame_list(engine: Engine, args: argparse.Namespace) -> int:
    """Every sample frame a wave may survey: key, title, members, and where it came from."""
    from services.frames import sample_frames

    with Session(engine) as session:
        frames = sample_frames(session, actor=args.actor)
    for frame in frames.values():
        print(f"{frame.key:<14} {frame.title}")
        print(f"{'':<14} {frame.members} {frame.plural}, {frame.origin}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """The deployment's health, one line per check, exit 0 only if every one passes; for a
    monitor, so it opens the database without initialising or changing anything."""
    from db.engine import make_engine
    from ops.health import health

    engine = make_engine(database_url())
    checks = health(engine, backup_hours=args.backup_hours)
    engine.dispose()
    for check in checks:
        print(check.line)
    return 0 if all(c.ok for c in checks) else 1


def cmd_privacy_inventory(engine: Engine, args: argparse.Namespace) -> int:
    """Every place personal data is kept, why, who sees it and for how long (administrators):
    listed on the terminal, or written as CSV with --out."""
    from services.privacy import data_inventory, inventory_csv

    with Session(engine) as session:
        rows = data_inventory(session, actor=args.actor)
    if args.out:
        Path(args.out).write_bytes(inventory_csv(rows))
        print(f"Wrote the data inventory ({len(rows)} entries) to {args.out}.")
        return 0
    for row in rows:
        print(f"{row.where} [{row.kind}]\n  {row.holds}. Why: {row.purpose}.\n"
              f"  Seen by: {row.seen_by}.\n  How long: {row.retention}.")  # fmt: skip
    return 0


def cmd_privacy_retention(engine: Engine, args: argparse.Namespace) -> int:
    """Set (or with `none` clear) the date after which a wave's personal data is erased."""
    from services.retention import set_retention

    day = None if args.date == "none" else _date_argument(args.date)
    with Session(engine) as session:
        wave = set_retention(session, actor=args.actor, wave_key=args.key, retain_until=day)
    kept = f"until {wave.retain_until:%d %B %Y}" if wave.retain_until else "with no date"
    print(f"Wave {wave.key}: personal data kept {kept}; `privacy apply-retention` erases it after.")
    return 0


def cmd_privacy_apply_retention(engine: Engine, args: argparse.Namespace) -> int:
    """Erase what every wave past its retention date holds; a dry run unless --apply."""
    from services.retention import apply_retention, disable_unused, unused_accounts

    today = _date_argument(args.today) or dt.date.today()
    with Session(engine) as session:
        plans = apply_retention(session, actor=args.actor, today=today, dry_run=not args.apply)
        if args.apply:
            unused, kept = disable_unused(session, actor=args.actor, today=today,
                                          days=args.unused_days)  # fmt: skip
        else:
            unused, kept = unused_accounts(session, actor=args.actor, today=today,
                                           days=args.unused_days), []  # fmt: skip
    if not plans:
        print(f"No wave's retention date has passed ({today:%d %B %Y}): nothing to erase.")
    for plan in plans:
        verb = "Erased" if args.apply else "Would erase"
        found = "; ".join(plan.lines()) or "nothing left to erase"
        print(f"Wave {plan.wave_key} (kept until {plan.retain_until}): {verb} {found}.")
    verb = "Disabled" if args.apply else "Would disable"
    if unused:
        print(f"{verb} {len(unused)} account(s) not signed in with for {args.unused_days} days: "
              + ", ".join(unused) + ".")  # fmt: skip
    for account in kept:
        print(f"Kept {account}.")
    if (plans or unused) and not args.apply:
        print("A dry run: nothing was changed. Run again with --apply to erase and disable.")
    return 0


def cmd_privacy_find(engine: Engine, args: argparse.Namespace) -> int:
    """Everything held about a person: a summary, and the JSON and readable document to give."""
    from services.subject import find_person

    with Session(engine) as session:
        found = find_person(session, actor=args.actor, person=args.person)
    _say_findings(found)
    for path, text in ((args.json, found.json_text()), (args.document, found.document())):
        if path:
            Path(path).write_text(text, encoding="utf-8")
            print(f"Wrote {path}.")
    return 0


def _say_findings(found: SubjectFindings) -> None:
    places: dict[str, int] = {}
    for held in found.found:
        places[held.field.where] = places.get(held.field.where, 0) + 1
    terms = ", ".join(repr(t) for t in found.searched_for)
    print(f"{len(found.found)} value(s) name {terms}:" if found.found else
          f"Nothing held names {terms}.")  # fmt: skip
    for where, n in places.items():
        print(f"  {where}: {n}")


def cmd_privacy_erase(engine: Engine, args: argparse.Namespace) -> int:
    """Erase (or pseudonymise) a person's data; without --apply, say what would change."""
    from services.subject import erase_person, find_person

    with Session(engine) as session:
        if not args.apply:
            _say_findings(find_person(session, actor=args.actor, person=args.person))
            print("A dry run: nothing was changed. Run again with --apply "
                  + ("to pseudonymise." if args.pseudonymise else "to erase."))  # fmt: skip
            return 0
        found = erase_person(session, actor=args.actor, person=args.person, reason=args.reason,
                             pseudonymise=args.pseudonymise)  # fmt: skip
    done = "Pseudonymised" if args.pseudonymise else "Erased"
    print(f"{done} {len(found.found)} value(s); the audit log still verifies "
          "(`survey_cli.py audit verify`).")
    return 0


def cmd_instrument_check(args: argparse.Namespace) -> int:
    """Check a schedule file whole, without a database; every problem is listed."""
    instrument = load_instrument(Path(args.file))
    print(
        f"{args.file}: no problems. {len(instrument.parts)} parts, "
        f"{len(instrument.questions)} questions ({len(instrument.closed_questions)} closed)."
    )
    return 0


def _date_argument(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise WaveProblem(f"{text!r} is not a date as YYYY-MM-DD") from None


def cmd_user_add(engine: Engine, args: argparse.Namespace) -> int:
    """Add an account; the password is asked for twice, or read from standard input."""
    password = _new_password(args)
    if password is None:
        return 1
    with Session(engine) as session:
        account = add_account(
            session,
            actor=args.actor,
            username=args.username,
            role=args.role,
            password=password,
            display_name=args.name,
            council=args.council,
        )
        council = f" for {account.council_name}" if account.council_name else ""
        print(f"Added {account.role} account {account.username} ({account.display_name}){council}.")
    return 0


def cmd_user_reset_password(engine: Engine, args: argparse.Namespace) -> int:
    password = _new_password(args)
    if password is None:
        return 1
    with Session(engine) as session:
        reset_password(session, actor=args.actor, username=args.username, password=password)
    print(f"New password set for {args.username}; any lockout is lifted.")
    return 0


def cmd_user_disable(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        disable_account(session, actor=args.actor, username=args.username, reason=args.reason)
    print(f"Disabled {args.username}: it can no longer sign in.")
    return 0


def cmd_user_enable(engine: Engine, args: argparse.Namespace) -> int:
    with Session(engine) as session:
        enable_account(session, actor=args.actor, username=args.username, reason=args.reason)
    print(f"Re-enabled {args.username}: it can sign in again with its password.")
    return 0


def cmd_user_list(engine: Engine, args: argparse.Namespace) -> int:
    """Every account: no password hash is ever shown."""
    with Session(engine) as session:
        accounts = list_accounts(session, actor=args.actor)
    if not accounts:
        print("No accounts yet: add one with `survey_cli.py user add`.")
        return 0
    print(
        f"{'username':<20} {'name':<24} {'role':<12} {'council':<10} {'active':<7} "
        f"{'locked until':<18} last sign-in"
    )
    for a in accounts:
        locked = f"{a.locked_until:%Y-%m-%d %H:%M}" if a.locked_until else "-"
        last = f"{a.last_sign_in:%Y-%m-%d %H:%M} UTC" if a.last_sign_in else "never"
        print(
            f"{a.username:<20} {a.display_name:<24} {a.role:<12} {a.council_code or '-':<10} "
            f"{'yes' if a.active else 'no':<7} {locked:<18} {last}"
        )
    return 0


def _new_password(args: argparse.Namespace) -> str | None:
    """One line of standard input with --password-stdin, else asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat the password: ") != first:
        print("error: the two passwords differ; nothing was changed.", file=sys.stderr)
        return None
    return first


def _acting_person(engine: Engine, args: argparse.Namespace) -> Actor:
    """Who the command acts as: the account named by --as, or the operator at this terminal."""
    if args.handler is cmd_restore and args.as_user:
        raise AccountProblem(
            "restore loads into an empty database, which has no account to check --as against; "
            "run it without --as (the operator is named in the audit log)"
        )
    with Session(engine) as session:
        return command_line_actor(
            session, username=args.as_user, role=args.operator_role, login=getpass.getuser()
        )


def _shown_url() -> str:
    """The database URL without any password."""
    from sqlalchemy.engine import make_url

    return make_url(database_url()).render_as_string(hide_password=True)


# The draft view, for the audit team only: every completed interview, nothing withheld.
DRAFT_FLAGS = ("--draft", "--include-unvalidated")
DRAFT_OPTION: dict[str, Any] = {
    "dest": "include_unvalidated",
    "action": "store_true",
    "help": "the draft view: also councils that have not validated their submission, and no "
    "figure withheld for a small base (not to publish)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="survey_cli.py",
        description="Commissioning social care survey: database, flat files and reports.",
    )
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="act as this account (it must be active; its role decides what is allowed). "
        "Without it, the operator `operator:<login>` acts and is named in the audit log",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        handler: Callable[[Engine, argparse.Namespace], int],
        help: str,
        operator: Role = Role.INTERVIEWER,
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler, operator_role=operator)
        return sub

    command("init", cmd_init, "create or upgrade the database, seed councils, create wave 2011")
    status = command("status", cmd_status, "print the fieldwork headline and each council's status")
    status.add_argument("--wave", default=DEFAULT_WAVE)
    export = command(
        "export",
        cmd_export,
        "write a wave as a CSV or XLSX flat file, an SPSS .sav, a Stata .dta or a data "
        "package (zip), or its instrument as an XLSForm or a Word codebook",
    )
    export.add_argument("--wave", default=DEFAULT_WAVE)
    export.add_argument("--format", choices=("csv", "xlsx", *FORMATS), default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument(*DRAFT_FLAGS, **DRAFT_OPTION)
    imp = command("import", cmd_import, "read a CSV or XLSX flat file into a wave (all or nothing)")
    imp.add_argument("file", help="the CSV or XLSX file to read")
    imp.add_argument("--wave", default=DEFAULT_WAVE)
    imp.add_argument(
        "--replace",
        action="store_true",
        help="overwrite councils that already have answers (changes go to the history)",
    )
    imp.add_argument(
        "--reason",
        help="why validated submissions change (needed to change one; its council validates again)",
    )
    imp.add_argument(
        "--progress",
        action="store_true",
        help="draw the progress bar even when standard error is not a terminal",
    )
    report = command("report", cmd_report, "print the national results of a wave")
    report.add_argument("--wave", default=DEFAULT_WAVE)
    report.add_argument("--format", choices=("json", "markdown", "docx"), default="json")
    report.add_argument("--out", help="write to this file instead of printing")
    report.add_argument(*DRAFT_FLAGS, **DRAFT_OPTION)
    report.add_argument(
        "--compare",
        metavar="WAVE",
        help="add, per variable both waves asked with the same codes, the other wave's figures "
        "and the change in percentage points",
    )
    recounting = command(
        "recount",
        cmd_recount,
        "rebuild a wave's counters (what the report reads) from its answers, and say whether "
        "they had drifted",
        operator=Role.ADMIN,
    )
    recounting.add_argument("--wave", default=DEFAULT_WAVE)
    demo = command(
        "demo",
        cmd_demo,
        "fill a demonstration wave with synthetic answers: 'demo' (the 2011 schedule, councils) "
        "or 'demo-ccps' (the CCPS self-assessment, partnerships); replaces any earlier demo "
        "there and touches no other wave",
        Role.ADMIN,
    )
    demo.add_argument(
        "--schedule",
        choices=list(DEMOS),
        default=DEFAULT_INSTRUMENT,
        help="which shipped schedule's demo wave to fill (default: %(default)s)",
    )
    backup = command(
        "backup", cmd_backup, "write a consistent snapshot of the whole database", Role.ADMIN
    )
    backup.add_argument("--out", required=True, help="the backup file to write")
    restore = command("restore", cmd_restore, "load a backup into an empty database", Role.ADMIN)
    restore.add_argument("file", help="a file written by `survey_cli.py backup`")
    grant = command(
        "grant-app-role",
        cmd_grant_app_role,
        "PostgreSQL, as the owner: grant the app's role its privileges (audit log append-only)",
        Role.ADMIN,
    )
    grant.add_argument("role", help="the login role the app connects as, e.g. survey_app")
    _add_user_commands(commands)
    _add_wave_commands(commands)
    _add_frame_commands(commands)
    _add_theme_commands(commands)
    _add_coding_commands(commands)
    instrument = commands.add_parser(
        "instrument", help="check a schedule file", description="check a schedule (YAML) file"
    )
    checking = instrument.add_subparsers(dest="instrument_command", required=True, metavar="ACTION")
    check = checking.add_parser(
        "check",
        help="list every problem in a schedule file (no database is opened or changed)",
        description="check a schedule file whole, as `wave create` would",
    )
    check.add_argument("file", help="the schedule, a YAML file in the format of schedule_2011.yaml")
    check.set_defaults(handler=None, offline=cmd_instrument_check)
    privacy = _command_group(
        commands, "privacy", "personal data held (administrators)", "UK GDPR: the data inventory"
    )
    inventory = privacy(
        "inventory", cmd_privacy_inventory, "where personal data is kept, why, who, how long"
    )
    inventory.add_argument("--out", help="write it as CSV to this file")
    retention = privacy(
        "retention", cmd_privacy_retention,
        "set the date after which a wave's names, notes and verbatim answers are erased",
    )  # fmt: skip
    retention.add_argument("key", help="the wave, e.g. 2011")
    retention.add_argument("date", help="YYYY-MM-DD, or 'none' to clear it")
    apply = privacy(
        "apply-retention", cmd_privacy_apply_retention,
        "erase the personal data of every wave past its retention date, and disable accounts "
        "unused for a year (a dry run unless --apply); closed answers, counts, summaries and "
        "the audit log's rows remain",
    )  # fmt: skip
    apply.add_argument("--apply", action="store_true", help="erase (without it: say what)")
    apply.add_argument("--today", help="YYYY-MM-DD: as if today were this day")
    apply.add_argument("--unused-days", type=int, default=365, metavar="DAYS",
                       help="disable accounts unused this long (default 365)")  # fmt: skip
    find = privacy("find", cmd_privacy_find,
                   "everything held about a person (a respondent, an interviewer, an account "
                   "holder), to give them")  # fmt: skip
    find.add_argument("person", help="their name, or an account's username")
    find.add_argument("--json", metavar="FILE", help="write it all as JSON")
    find.add_argument("--document", metavar="FILE", help="write it as a readable document (.md)")
    erase = privacy("erase", cmd_privacy_erase,
                    "erase, or pseudonymise, what names a person, everywhere (a dry run unless "
                    "--apply); the audit log still verifies")  # fmt: skip
    erase.add_argument("person", help="their name, or an account's username")
    erase.add_argument("--reason", default="", help="why, without naming them (logged)")
    erase.add_argument("--pseudonymise", action="store_true",
                       help="one stand-in (person-1a2b3c4d) everywhere, not [erased]")  # fmt: skip
    erase.add_argument("--apply", action="store_true", help="change it (without it: say what)")
    health = commands.add_parser(
        "check",
        help="check the deployment for a monitor: database reachable, schema current, audit "
        "chain intact, last backup recent (exit 0 if all pass, else 1; one line each)",
        description="check the deployment's health without changing anything",
    )
    health.add_argument("--backup-hours", type=float, default=26, metavar="HOURS",
                        help="the oldest a last backup may be (default 26)")  # fmt: skip
    health.set_defaults(handler=None, offline=cmd_check)
    audit = commands.add_parser(
        "audit", help="check the audit log", description="check the append-only audit log"
    )
    checks = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = checks.add_parser(
        "verify",
        help="walk the audit log's hash chain (exit 1 at the first row that does not verify)",
        description="walk the audit log's hash chain",
    )
    verify.set_defaults(handler=cmd_audit_verify, operator_role="admin")
    return parser


AddAction = Callable[
    [str, Callable[[Engine, argparse.Namespace], int], str], argparse.ArgumentParser
]


def _ids(text: str | None) -> list[str] | None:
    return None if text is None else [v.strip() for v in text.split(",") if v.strip()]


def cmd_themes_list(engine: Engine, args: argparse.Namespace) -> int:
    """The wave's codebook, a child indented under its parent."""
    from services.themes import list_themes

    with Session(engine) as session:
        themes = list_themes(session, actor=args.actor, wave_key=args.wave)
    print(f"Wave {args.wave}: {len(themes)} themes.")
    for theme in themes:
        said = f": {theme.description}" if theme.description else ""
        indent = "  " if theme.parent else ""
        print(f"{indent}{theme.name} ({', '.join(theme.variables)}){said}")
    return 0


def cmd_themes_add(engine: Engine, args: argparse.Namespace) -> int:
    from services.themes import create_theme

    with Session(engine) as session:
        theme = create_theme(session, actor=args.actor, wave_key=args.wave, name=args.name,
                             variables=_ids(args.variables) or [],
                             description=args.description, parent=args.parent,
                             report=args.report)  # fmt: skip
    print(f"Theme {theme.name!r} added to wave {args.wave}.")
    return 0


def cmd_themes_change(engine: Engine, args: argparse.Namespace) -> int:
    from services.themes import change_theme

    with Session(engine) as session:
        theme = change_theme(session, actor=args.actor, wave_key=args.wave, theme=args.theme,
                             name=args.name, description=args.description,
                             variables=_ids(args.variables), report=args.report)  # fmt: skip
    print(f"Theme {theme.name!r} of wave {args.wave} changed.")
    return 0


def cmd_themes_merge(engine: Engine, args: argparse.Namespace) -> int:
    from services.themes import merge_themes

    with Session(engine) as session:
        theme = merge_themes(session, actor=args.actor, wave_key=args.wave, theme=args.theme,
                             into=args.into)  # fmt: skip
    print(f"Theme {args.theme!r} merged into {theme.name!r} (wave {args.wave}).")
    return 0


def cmd_themes_export(engine: Engine, args: argparse.Namespace) -> int:
    from services.qda import export_qdc
    from services.themes import export_codebook

    export = _any_format(export_qdc) if args.format == "qdc" else export_codebook
    return _write_export(engine, args, export, "codebook")


def cmd_themes_import(engine: Engine, args: argparse.Namespace) -> int:
    from services.qda import import_qdc
    from services.themes import import_codebook

    if Path(args.file).suffix.lower() == ".qdc":
        ids = [v.strip() for v in (args.variables or "").split(",") if v.strip()]
        return _read_import(engine, args, lambda *a, **k: len(import_qdc(*a, variables=ids, **k)),
                            "theme")  # fmt: skip
    return _read_import(engine, args, lambda *a, **k: len(import_codebook(*a, **k)), "theme")


def cmd_codings_export(engine: Engine, args: argparse.Namespace) -> int:
    from services.codings_file import export_codings
    from services.qda import export_qdpx

    export = _any_format(export_qdpx) if args.format == "qdpx" else export_codings
    return _write_export(engine, args, export, "codings")


def cmd_codings_import(engine: Engine, args: argparse.Namespace) -> int:
    from services.codings_file import import_codings
    from services.qda import import_qdpx

    qdpx = Path(args.file).suffix.lower() == ".qdpx"
    return _read_import(engine, args, import_qdpx if qdpx else import_codings, "coding")


def _any_format(export: Callable[..., bytes]) -> Callable[..., bytes]:
    """A REFI-QDA export, which has one format only, called as a flat file's is."""
    return lambda session, *, fmt, **kwargs: export(session, **kwargs)


def _write_export(
    engine: Engine, args: argparse.Namespace, export: Callable[..., bytes], what: str
) -> int:
    """A wave's flat file (`--out`, `--format`) from a service that writes one."""
    with Session(engine) as session:
        data = export(session, actor=args.actor, wave_key=args.wave, fmt=args.format)
    Path(args.out).write_bytes(data)
    print(f"Wrote the {what} of wave {args.wave} to {args.out}.")
    return 0


def _read_import(
    engine: Engine, args: argparse.Namespace, read: Callable[..., int], noun: str
) -> int:
    """A flat file read into the wave by a service that adds all of it or nothing."""
    path = Path(args.file)
    data = _flat_file(path)
    if data is None:
        return 2
    with Session(engine) as session:
        added = read(session, actor=args.actor, wave_key=args.wave, data=data,
                     filename=path.name)  # fmt: skip
    print(f"{added} {noun}{'' if added == 1 else 's'} added to wave {args.wave}.")
    return 0


def _command_group(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],  # what add_subparsers gives
    name: str,
    help: str,
    description: str,
    operator: Role = Role.ADMIN,
) -> AddAction:
    """A command with actions (`user add`, `wave close`, ...), each for the operator's role
    (an administrator's unless told); returns the function that adds one action."""
    group = commands.add_parser(name, help=help, description=description)
    actions = group.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")

    def action(
        action_name: str, handler: Callable[[Engine, argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = actions.add_parser(action_name, help=help, description=help)
        sub.set_defaults(handler=handler, operator_role=operator)
        return sub

    return action


def _add_wave_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    action = _command_group(
        commands, "wave", "create, list and close waves", "manage waves (administrators)"
    )
    create = action("create", cmd_wave_create, "create a wave pinned to a schedule file")
    create.add_argument("--key", required=True, help="a short key, e.g. 2026")
    create.add_argument("--title", required=True, help="e.g. 'Commissioning social care 2026'")
    create.add_argument("--instrument", required=True, metavar="FILE.yaml", help="the schedule")
    create.add_argument(
        "--frame",
        default=COUNCILS,
        metavar="KEY",
        help="who the wave surveys: the 32 councils (default), the 31 health and social care "
        "partnerships (partnerships) or a frame loaded with `frame load` (see `frame list`)",
    )
    action("list", cmd_wave_list, "list every wave with its schedule, dates and state")
    dates = action("dates", cmd_wave_dates, "set when a wave's fieldwork runs")
    dates.add_argument("key")
    dates.add_argument("--start", metavar="YYYY-MM-DD")
    dates.add_argument("--end", metavar="YYYY-MM-DD")
    threshold = action(
        "threshold",
        cmd_wave_threshold,
        "set the fewest councils a published figure of the wave may describe (default 5)",
    )
    threshold.add_argument("key")
    threshold.add_argument("councils", type=int, help="e.g. 5: a smaller base reads 'fewer than 5'")
    elsewhere = action(
        "validated-elsewhere",
        cmd_wave_validated_elsewhere,
        "record that councils validated their completed submissions outside this system (a "
        "past wave's published report): without it the published figures count none of them",
    )
    elsewhere.add_argument("key")
    elsewhere.add_argument("--evidence", required=True,
                           help="how they validated, for the audit log (e.g. 'published in the "
                           "2012 report')")  # fmt: skip
    elsewhere.add_argument("--council", action="append", metavar="CODE_OR_NAME",
                           help="only this council (repeat for more); default: every completed "
                           "submission not yet validated")  # fmt: skip
    close = action("close", cmd_wave_close, "close a wave: read-only for everyone from then on")
    close.add_argument("key")
    close.add_argument("--reason", required=True, help="why, for the audit log")


def _add_frame_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    action = _command_group(
        commands,
        "frame",
        "load and list sample frames (who a wave surveys)",
        "manage sample frames (administrators)",
    )
    load = action("load", cmd_frame_load, "load a sample frame from a CSV of code, name (aliases)")
    load.add_argument("key", help="a short key for `wave create --frame`, e.g. boards")
    load.add_argument("--title", required=True, help="e.g. 'The 14 NHS health boards'")
    load.add_argument(
        "--file",
        required=True,
        metavar="FRAME.csv",
        help="columns code (up to 40 characters), name and optionally aliases (separated by ';')",
    )
    load.add_argument(
        "--member",
        default=DEFAULT_MEMBER,
        metavar="WORD",
        help=f"the word for one member, e.g. 'health board' (default: {DEFAULT_MEMBER})",
    )
    action("list", cmd_frame_list, "list every sample frame with its members and origin")


REPORT_HELP = (
    "the report's sentence for it, e.g. '{n council} said they had sought training from "
    "external organisations.' ({n} its count, {base} those who answered, {label} its name)"
)


def _add_theme_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    action = _command_group(
        commands,
        "themes",
        "the codebook of a wave's open answers: add, change, merge, export, import themes",
        "manage the themes that code the open answers (interviewers)",
        Role.INTERVIEWER,
    )
    listing = action("list", cmd_themes_list, "list the wave's themes, children under parents")
    listing.add_argument("--wave", default=DEFAULT_WAVE)
    add = action("add", cmd_themes_add, "add a theme for one open question or several")
    add.add_argument("--wave", default=DEFAULT_WAVE)
    add.add_argument("--name", required=True)
    add.add_argument("--variables", required=True, metavar="ID,ID", help="open questions' ids")
    add.add_argument("--description", default="", help="what the theme means, for coders")
    add.add_argument("--parent", help="a top-level theme to put it under")
    add.add_argument("--report", default="", help=REPORT_HELP)
    change = action("change", cmd_themes_change, "rename a theme, describe it, or re-apply it")
    change.add_argument("theme", help="the theme's name")
    change.add_argument("--wave", default=DEFAULT_WAVE)
    change.add_argument("--name", help="its new name")
    change.add_argument("--description")
    change.add_argument("--variables", metavar="ID,ID", help="the open questions it applies to")
    change.add_argument("--report", help=REPORT_HELP + " ('' for the generic one)")
    merge = action("merge", cmd_themes_merge, "fold a theme into another, which keeps its name")
    merge.add_argument("theme", help="the theme merged, which is then gone")
    merge.add_argument("--into", required=True, help="the theme that stays")
    merge.add_argument("--wave", default=DEFAULT_WAVE)
    export = action("export", cmd_themes_export,
                    "write the codebook as CSV, XLSX or a REFI-QDA codebook (.qdc)")  # fmt: skip
    export.add_argument("--wave", default=DEFAULT_WAVE)
    export.add_argument("--out", required=True)
    export.add_argument("--format", choices=("csv", "xlsx", "qdc"), default="csv")
    imp = action("import", cmd_themes_import, "add a codebook file's themes (all or nothing)")
    imp.add_argument("file", help="columns theme, parent, description, variables (';'); or a "
                     ".qdc from NVivo, ATLAS.ti or MAXQDA")  # fmt: skip
    imp.add_argument("--wave", default=DEFAULT_WAVE)
    imp.add_argument("--variables", metavar="ID,ID", help="for a .qdc: the open questions a "
                     "code applies to when its description does not name them")  # fmt: skip


def _add_coding_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    action = _command_group(
        commands,
        "codings",
        "the coders' codings of a wave's open answers as a flat file: export, import",
        "every coder's themes on the open answers, whole or by passage (interviewers)",
        Role.INTERVIEWER,
    )
    export = action("export", cmd_codings_export, "write every coding of the wave as CSV/XLSX,"
                    " or with the answers and codebook as a REFI-QDA project (.qdpx)")  # fmt: skip
    export.add_argument("--wave", default=DEFAULT_WAVE)
    export.add_argument("--out", required=True)
    export.add_argument("--format", choices=("csv", "xlsx", "qdpx"), default="csv")
    imp = action("import", cmd_codings_import, "add a codings file's codings (all or nothing)")
    imp.add_argument("file", help="columns council_code, variable, theme, coder, start, end, "
                     "quote; or a .qdpx project this survey exported, coded further")  # fmt: skip
    imp.add_argument("--wave", default=DEFAULT_WAVE)


def _add_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = _command_group(commands, "user", "manage the accounts that sign in", "manage accounts")

    def action(
        name: str, handler: Callable[[Engine, argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = group(name, handler, help)
        sub.add_argument("username")
        return sub

    stdin_help = "read the password from the first line of standard input (for scripts)"
    add = action("add", cmd_user_add, "add an account (asks for its password twice)")
    add.add_argument("--role", required=True, choices=Role.codes())
    add.add_argument(
        "--council", metavar="CODE", help="the council of a council account (code or name)"
    )
    add.add_argument("--name", help="the display name (default: the username)")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    reset = action("reset-password", cmd_user_reset_password, "set a new password, lift a lock")
    reset.add_argument("--password-stdin", action="store_true", help=stdin_help)
    disable = action("disable", cmd_user_disable, "stop an account signing in")
    disable.add_argument("--reason", help="why, for the audit log")
    enable = action("enable", cmd_user_enable, "let a disabled account sign in again")
    enable.add_argument("--reason", help="why, for the audit log")
    group("list", cmd_user_list, "list every account")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; any refusal (a SurveyError) is said here, once, as
    `error [code]: where: message` on stderr, with exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "offline", None):
            offline: Callable[[argparse.Namespace], int] = args.offline
            return offline(args)
        engine = open_database(if_needed=args.handler is not cmd_init)
        args.actor = _acting_person(engine, args)
        handler: Callable[[Engine, argparse.Namespace], int] = args.handler
        return handler(engine, args)
    except SurveyError as problem:
        print(f"error [{problem.code}]: {problem.located()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped reading (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as Python's docs advise
        status = 1
    gc.freeze()  # the exit frees everything; collecting first would only take time
    sys.exit(status)
