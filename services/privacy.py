"""What personal data the survey holds, why, who can see it and for how long: the data
inventory an audit body needs under UK GDPR (`survey_cli.py privacy inventory`, the Personal
data page).

Generated, not written by hand: every column of the schema is declared here either as one
that holds personal data (`FIELDS`) or as one that does not (`NOT_PERSONAL`), and a test fails
on any column that is neither, so a new column cannot slip in unclassified; and each wave's
schedule adds its free-text questions, whose answers may name people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from flatfile.table import write_table
from instrument.progress import question_name
from services.actor import Actor
from services.interviews import list_waves, wave_instrument
from services.permissions import require

PERSONAL = "Personal data"
MAY_BE_PERSONAL = "May contain personal data"

# Who can see a field, in the words of the permission rules (services/permissions.py).
STAFF_AND_OWN_COUNCIL = (
    "Administrators, interviewers, analysts and auditors; a council its own submission"
)
VERBATIM = (
    "Administrators, interviewers and analysts; auditors an administrator has named; a council "
    "its own submission"
)
AUDIT_TEAM = "Administrators, interviewers and analysts; auditors an administrator has named"
CODERS = "Interviewers and analysts (coding); administrators"
ADMINS = "Administrators"
ADMINS_AND_OWNER = "Administrators; the account holder their own name"

KEPT = "Kept with the wave for the life of the database"
ERASED_AFTER = (
    "Erased after the wave's retention date (`privacy apply-retention`; set on the Waves page "
    "or with `privacy retention`)"
)
KEPT_ACCOUNT = (
    "Kept while the account exists; an account unused for a year is disabled (`privacy "
    "apply-retention`), and keeps it; a person's request erases or pseudonymises it (`privacy "
    "erase`)"
)
KEPT_AUDIT = (
    "Kept for the life of the audit log, which is append-only and hash-chained: it cannot be "
    "edited or deleted"
)
KEPT_AUDIT_ERASED = (
    "The row is kept for the life of the audit log; names, notes and verbatim answers in it "
    "are erased after the wave's retention date, and the hash chain still verifies"
)


@dataclass(frozen=True)
class Field:
    """A place personal data is kept: `table.column` and what it holds, and why."""

    table: str
    column: str
    holds: str
    kind: str  # PERSONAL or MAY_BE_PERSONAL
    purpose: str
    seen_by: str
    retention: str = KEPT

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}"


FIELDS: tuple[Field, ...] = (
    Field("interview", "respondent_name", "The name of the person interviewed", PERSONAL,
          "To know whom the council put forward and to contact them again",
          STAFF_AND_OWN_COUNCIL, ERASED_AFTER),
    Field("interview", "respondent_role", "The respondent's post (e.g. Director of Social "
          "Work)", MAY_BE_PERSONAL, "The report counts answers by role; a post held by one "
          "person identifies them", STAFF_AND_OWN_COUNCIL),
    Field("interview", "interviewer", "The interviewer's name", PERSONAL,
          "Who conducted the interview, for quality and queries", STAFF_AND_OWN_COUNCIL),
    Field("interview", "summary", "The interviewer's summary for auditors", MAY_BE_PERSONAL,
          "The audit team's working record of the interview", AUDIT_TEAM),
    Field("interview", "nonresponse_reason", "Why a council did not take part, as typed",
          MAY_BE_PERSONAL, "The report's methodology states non-response",
          STAFF_AND_OWN_COUNCIL),
    Field("interview", "updated_by", "Who last changed the interview", PERSONAL,
          "Accountability for every change", STAFF_AND_OWN_COUNCIL),
    Field("interview", "validated_by", "Who validated the submission for the council",
          PERSONAL, "Evidence of the council's validation", STAFF_AND_OWN_COUNCIL),
    Field("answer", "value", "Every answer: codes and figures, and the respondent's own words "
          "(each wave's free-text questions are listed below)", MAY_BE_PERSONAL,
          "The survey itself", VERBATIM, ERASED_AFTER),
    Field("answer", "note", "Interviewers' notes on answers", MAY_BE_PERSONAL,
          "The audit team's working record", AUDIT_TEAM, ERASED_AFTER),
    Field("answer", "updated_by", "Who saved the answer", PERSONAL,
          "Accountability for every change", STAFF_AND_OWN_COUNCIL),
    Field("answer_history", "old_value", "Earlier values of every answer, free text included",
          MAY_BE_PERSONAL, "Nothing typed is ever lost; corrections can be traced", VERBATIM,
          ERASED_AFTER),
    Field("answer_history", "new_value", "Later values of every answer, free text included",
          MAY_BE_PERSONAL, "As above", VERBATIM, ERASED_AFTER),
    Field("answer_history", "old_note", "Earlier interviewers' notes", MAY_BE_PERSONAL,
          "As above", AUDIT_TEAM, ERASED_AFTER),
    Field("answer_history", "new_note", "Later interviewers' notes", MAY_BE_PERSONAL,
          "As above", AUDIT_TEAM, ERASED_AFTER),
    Field("answer_history", "changed_by", "Who changed the answer", PERSONAL,
          "Accountability for every change", STAFF_AND_OWN_COUNCIL),
    Field("contact_attempt", "note", "Notes on calls (e.g. 'spoke to PA, call back Tuesday')",
          MAY_BE_PERSONAL, "Arranging the interview", AUDIT_TEAM, ERASED_AFTER),
    Field("contact_attempt", "recorded_by", "Who recorded the call", PERSONAL,
          "Accountability", AUDIT_TEAM),
    Field("review_item", "comment", "A council's comment asking for a correction",
          MAY_BE_PERSONAL, "The council's review of its submission", STAFF_AND_OWN_COUNCIL),
    Field("review_item", "reply", "The interviewer's reply to it", MAY_BE_PERSONAL,
          "As above", STAFF_AND_OWN_COUNCIL),
    Field("review_item", "reviewed_by", "Who at the council asked", PERSONAL,
          "As above", STAFF_AND_OWN_COUNCIL),
    Field("review_item", "resolved_by", "Who resolved it", PERSONAL, "As above",
          STAFF_AND_OWN_COUNCIL),
    Field("coding", "passage", "Words of an answer marked as a theme or quote", MAY_BE_PERSONAL,
          "Findings from the open answers; approved quotes are published by role only", CODERS,
          ERASED_AFTER),
    Field("coding", "coder", "Who coded it", PERSONAL, "Agreement between coders", CODERS),
    Field("coding", "approved_by", "Who approved a quote", PERSONAL,
          "A second person approves every published quote", CODERS),
    Field("coding_decision", "decided_by", "Who settled a disagreement", PERSONAL,
          "The consensus pass", CODERS),
    Field("coding_history", "coder", "Whose coding changed", PERSONAL, "Every coding change "
          "is versioned", CODERS),
    Field("coding_history", "changed_by", "Who changed it", PERSONAL, "As above", CODERS),
    Field("theme", "created_by", "Who added a theme", PERSONAL, "The codebook's history",
          CODERS),
    Field("theme", "updated_by", "Who last changed a theme", PERSONAL, "As above", CODERS),
    Field("account", "username", "Each person's sign-in name", PERSONAL,
          "Signing in; naming who did what", ADMINS_AND_OWNER, KEPT_ACCOUNT),
    Field("account", "display_name", "Each person's name as shown", PERSONAL,
          "Showing who is signed in", ADMINS_AND_OWNER, KEPT_ACCOUNT),
    Field("account", "password_hash", "An argon2 hash of the password (never the password)",
          PERSONAL, "Signing in", "Nobody: checked, never shown", KEPT_ACCOUNT),
    Field("account", "last_sign_in", "When each person last signed in", PERSONAL,
          "Security: unused accounts can be found", ADMINS, KEPT_ACCOUNT),
    Field("account", "failed_attempts", "Failed sign-ins in a row", PERSONAL,
          "Security: locking an account under attack", ADMINS, KEPT_ACCOUNT),
    Field("account", "locked_until", "When a locked account opens again", PERSONAL,
          "As above", ADMINS, KEPT_ACCOUNT),
    Field("browser_session", "username", "Who holds each signed-in browser", PERSONAL,
          "Keeping a person signed in; ending sessions", ADMINS,
          "Kept after the session ends, for the record of sign-ins"),
    Field("audit_event", "username", "Who did each thing recorded", PERSONAL,
          "An audit trail nobody can quietly rewrite", ADMINS, KEPT_AUDIT),
    Field("audit_event", "target", "What it was done to (a council, an account by name)",
          PERSONAL, "As above", ADMINS, KEPT_AUDIT),
    Field("audit_event", "old_value", "Values before each change, free text included",
          MAY_BE_PERSONAL, "As above", ADMINS, KEPT_AUDIT_ERASED),
    Field("audit_event", "new_value", "Values after each change", MAY_BE_PERSONAL, "As above",
          ADMINS, KEPT_AUDIT_ERASED),
    Field("audit_event", "reason", "Reasons typed for changes", MAY_BE_PERSONAL, "As above",
          ADMINS, KEPT_AUDIT_ERASED),
    Field("wave", "closed_by", "Who closed a wave", PERSONAL, "Accountability",
          STAFF_AND_OWN_COUNCIL),
    Field("wave", "closed_reason", "Why, as typed", MAY_BE_PERSONAL, "Accountability",
          STAFF_AND_OWN_COUNCIL),
    Field("sample_frame", "created_by", "Who loaded a sample frame", PERSONAL,
          "Accountability", ADMINS),
)  # fmt: skip

# Every other column, declared as holding no personal data: codes, counts, dates of events,
# hashes, keys, and the organisations surveyed (councils are not people).
NOT_PERSONAL: frozenset[tuple[str, str]] = frozenset(
    (table, column)
    for table, columns in {
        "audit_event": "id at role action prev_hash row_hash",
        "browser_session": "id token_hash created_at last_seen_at ended_at",
        "council": "id code name frame",
        "council_alias": "id council_id alias match_key kind",
        "sample_frame": "key title member created_at",
        "wave": "id key title instrument instrument_text instrument_sha256 frame "
        "fieldwork_start fieldwork_end created_at closed_at disclosure_threshold retain_until",
        "account": "id role council_id active created_at can_read_verbatim",
        "interview": "id wave_id council_id status appointment_at interview_date version "
        "updated_at validated_at",
        "theme": "id wave_id name name_key description report parent_id created_at updated_at",
        "theme_variable": "theme_id variable_id position",
        "answer": "id interview_id variable_id version updated_at",
        # Counts of closed codes over interviews, never one interview's text.
        "answer_count": "wave_id respondent_role validated variable_id value applies interviews",
        "interview_count": "wave_id status respondent_role validated interviews",
        "answer_history": "id answer_id interview_id variable_id version changed_at source",
        "coding": "id interview_id variable_id theme_id start_offset end_offset quote "
        "updated_at approved_at",
        "coding_decision": "id interview_id variable_id theme_id applies decided_at",
        "coding_history": "id interview_id variable_id theme start_offset end_offset change "
        "changed_at",
        "contact_attempt": "id interview_id attempted_at outcome recorded_at",
        "review_item": "id interview_id variable_id state answer_version reviewed_at "
        "resolved_at",
    }.items()
    for column in columns.split()
)


@dataclass(frozen=True)
class InventoryRow:
    where: str
    holds: str
    kind: str
    purpose: str
    seen_by: str
    retention: str


COLUMNS = ("Where", "What it holds", "Personal data?", "Why it is kept", "Who can see it",
           "How long it is kept")  # fmt: skip


def data_inventory(session: Session, *, actor: Actor) -> list[InventoryRow]:
    """Every place personal data is kept: the schema's fields, then, per wave, each free-text
    question (its answers are in `answer.value` and may name people). Administrators only."""
    require(session, actor, "manage accounts", target="data inventory")
    rows = [InventoryRow(f.where, f.holds, f.kind, f.purpose, f.seen_by, f.retention)
            for f in FIELDS]  # fmt: skip
    for wave in list_waves(session, actor=actor):
        instrument = wave_instrument(session, actor=actor, wave_key=wave.key)
        for variable in instrument.questions:
            if variable.id in instrument.verbatim_ids:
                rows.append(InventoryRow(
                    f"answer.value: {question_name(variable)} ({variable.id}), wave {wave.key}",
                    "The respondent's own words", MAY_BE_PERSONAL,
                    "The survey's open answers: themes and quotes in the report", VERBATIM,
                    ERASED_AFTER,
                ))  # fmt: skip
    return rows


def inventory_csv(rows: list[InventoryRow]) -> bytes:
    """The inventory as the flat files are written (a spreadsheet opens it as text)."""
    cells = [[r.where, r.holds, r.kind, r.purpose, r.seen_by, r.retention] for r in rows]
    return write_table(list(COLUMNS), cells, "csv")
