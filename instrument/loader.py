"""Load an instrument YAML file, check it whole, and list every problem at once."""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from instrument.errors import SurveyError
from instrument.model import (
    CODED_VALUE_LIMIT,
    ITEM_COUNTS,
    ITEM_WORDS,
    PERCENT_WORDS,
    REPORT_COUNTS,
    REPORT_TYPES,
    REPORT_WORDS,
    RESERVED_CODES,
    SCORE_WORDS,
    Agreement,
    Choice,
    InstrumentSpec,
    Placeholder,
    ReportTemplate,
    Variable,
    parse_condition,
    parse_template,
    scores_of,
)
from instrument.schedule import Instrument
from instrument.types import REGISTRY, Counting, question_type

INSTRUMENT_DIR = Path(__file__).parent
DEFAULT_INSTRUMENT = "schedule_2011"


class InstrumentError(SurveyError):
    """An instrument file that cannot be used; `problems` lists every one found."""

    code = "instrument.invalid"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the instrument:\n{lines}", file=source)


# libyaml's parser, where PyYAML was built with it, reads a schedule six times faster: a
# command-line start pays for that parse.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ScheduleLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """YAML 1.1 reads a bare `yes` as True; in a schedule it is the choice code `yes`."""


_ScheduleLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def instrument_path(name: str) -> Path:
    return INSTRUMENT_DIR / f"{name}.yaml"


def load_instrument(source: str | Path = DEFAULT_INSTRUMENT) -> Instrument:
    """Load by instrument name (a file in `instrument/`) or by path; raise InstrumentError."""
    path = Path(source)
    return parse_instrument(instrument_text(source), source=str(path))


@lru_cache(maxsize=8)
def instrument_named(name: str) -> Instrument:
    """A shipped schedule by name, loaded once per process (the services read a wave's
    pinned text instead: `services.interviews.pinned`)."""
    return load_instrument(name)


def instrument_text(source: str | Path) -> str:
    """The YAML text of an instrument, by name (a file in `instrument/`) or by path."""
    path = Path(source)
    if path.suffix not in (".yaml", ".yml"):
        path = instrument_path(str(source))
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstrumentError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc


def shipped_instruments() -> list[str]:
    """The schedules that ship with the product (files in `instrument/`), by name."""
    return sorted(path.stem for path in INSTRUMENT_DIR.glob("*.yaml"))


def schedule_sha256(text: str) -> str:
    """The fingerprint a wave keeps of the schedule it pinned (hex SHA-256 of the UTF-8 text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_PINNED: dict[str, Instrument] = {}


def pinned_instrument(text: str, sha256: str, *, source: str = "<wave>") -> Instrument:
    """The instrument a wave pinned, parsed once per process per fingerprint.

    The text comes from the database, so its fingerprint is checked: a schedule changed
    behind the wave's back is refused rather than silently used.
    """
    found = _PINNED.get(sha256)
    if found is None:
        if schedule_sha256(text) != sha256:
            raise InstrumentError(
                source, ["the stored schedule does not match its SHA-256: it was changed"]
            )
        found = _PINNED[sha256] = parse_instrument(text, source=source)
    return found


def parse_instrument(text: str, *, source: str = "<instrument>") -> Instrument:
    """Parse and check YAML text; every problem names the variable (or place) and what is wrong."""
    try:
        raw = yaml.load(text, Loader=_ScheduleLoader)
    except yaml.YAMLError as exc:
        raise InstrumentError(source, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise InstrumentError(
            source, ["the file must be a mapping with 'parts' and 'choice_lists'"]
        )
    # `x-…` keys hold wording written once and reused by YAML anchors (as compose files do).
    raw = {k: v for k, v in raw.items() if not str(k).startswith("x-")}
    try:
        spec = InstrumentSpec.model_validate(raw)
    except ValidationError as exc:
        raise InstrumentError(source, [_describe(err, raw) for err in exc.errors()]) from exc
    problems = _cross_check(spec)
    if problems:
        raise InstrumentError(source, problems)
    return Instrument(spec)


def _describe(err: ErrorDetails, raw: dict[str, object]) -> str:
    """Turn a pydantic error location into the audit's words: part, variable id, field."""
    loc = list(err["loc"])
    where = []
    node: object = raw
    for step in loc:
        node = _step(node, step)
        if isinstance(node, dict) and "id" in node and isinstance(node["id"], str):
            kind = "part" if "variables" in node else "variable"
            where.append(f"{kind} {node['id']}")
    field = ".".join(str(s) for s in loc)
    place = ", ".join(where) or "top level"
    return f"{place}: {field}: {err['msg']}"


def _step(node: object, step: str | int) -> object:
    """One step down the raw YAML along a pydantic location; None once the path leaves it."""
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
        return node[step]
    return None


def _cross_check(spec: InstrumentSpec) -> list[str]:
    problems: list[str] = []
    variables: list[Variable] = list(spec.record) + [v for p in spec.parts for v in p.variables]
    for part_id, n in Counter(p.id for p in spec.parts).items():
        if n > 1:
            problems.append(f"part {part_id}: duplicate part id ({n} times)")
    for var_id, n in Counter(v.id for v in variables).items():
        if n > 1:
            problems.append(f"variable {var_id}: duplicate id ({n} times)")
    for list_name, choices in spec.choice_lists.items():
        for code, n in Counter(c.code for c in choices).items():
            if n > 1:
                problems.append(f"choice list {list_name}: duplicate choice code {code!r}")
        for c in choices:
            if c.code in RESERVED_CODES:
                problems.append(f"choice list {list_name}: {c.code!r} is a reserved code")
        unscored = [c.code for c in choices if c.score is None]
        if unscored and len(unscored) < len(choices):
            problems.append(
                f"choice list {list_name}: give every choice a score or none "
                f"(no score: {', '.join(unscored)})"
            )
    by_id = {v.id: v for v in variables}
    for v in variables:
        problems.extend(f"variable {v.id}: {p}" for p in _check_variable(v, spec, by_id))
    problems.extend(_check_report_templates(spec))
    problems.extend(_check_comparisons(spec, by_id))
    return problems


def _check_comparisons(spec: InstrumentSpec, by_id: dict[str, Variable]) -> list[str]:
    """Each comparison names two or more closed questions of one choice list, each once."""
    problems = []
    for n, comparison in enumerate(spec.comparisons, 1):
        here = f"comparison {n} ({comparison.title})"
        ids = comparison.variables
        if len(ids) < 2:
            problems.append(f"{here}: name at least two variables to compare")
        unknown = [v for v in ids if v not in by_id]
        problems.extend(f"{here}: unknown variable {v!r}" for v in unknown)
        known = [by_id[v] for v in ids if v in by_id]
        for v in known:
            if question_type(v).counting != Counting.CODED:
                problems.append(f"{here}: {v.id} is not a single-choice closed question")
        codes = {tuple(_codes_of(v, spec) or []) for v in known}
        if len(codes) > 1:
            problems.append(f"{here}: the variables do not share one set of codes")
        for repeated, count in Counter(ids).items():
            if count > 1:
                problems.append(f"{here}: {repeated} is named {count} times")
        problems.extend(
            f"{here}: a name is given for {v}, which is not compared"
            for v in comparison.names
            if v not in ids
        )
        if comparison.show != "bars" and any(not _scores(v, spec) for v in known):
            problems.append(
                f"{here}: shown as {comparison.show}, so its choices need a score each"
            )
    return problems


def _scores(v: Variable, spec: InstrumentSpec) -> dict[str, int]:
    return scores_of(_choices_of(v, spec) or ())


def _check_variable(v: Variable, spec: InstrumentSpec, by_id: dict[str, Variable]) -> list[str]:
    problems: list[str] = []
    kind = REGISTRY.get(v.type)
    if kind is None:
        problems.append(f"unknown type {v.type!r} (known: {', '.join(sorted(REGISTRY))})")
    elif kind.uses_choice_list:
        problems.extend(kind.problems(v, spec.choice_lists) or _check_value_length(v, spec))
    else:
        problems.extend(kind.problems(v, spec.choice_lists))
    if v.choices and not (kind and kind.uses_choice_list):
        listed = " and ".join(t.name for t in REGISTRY.values() if t.uses_choice_list)
        problems.append(f"'choices' is only for {listed} variables, not {v.type}")
    if v.is_closed and not v.label:
        problems.append("a closed variable needs a short 'label' for reports")
    if v.asked_if:
        problems.extend(_check_routing(v, spec, by_id))
    if v.bands:
        problems.extend(_check_bands(v))
        if v.bands.report:
            problems.extend(_check_band_report(v))
    if v.report:
        problems.extend(_check_report(v, spec))
    return problems


def _check_bands(v: Variable) -> list[str]:
    """Bands of a percent must cover 0–100 once each, so every share falls in exactly one."""
    kind = REGISTRY.get(v.type)
    if not (kind and kind.takes_bands):
        banded = " and ".join(t.name for t in REGISTRY.values() if t.takes_bands)
        return [f"'bands' is only for {banded} variables, not {v.type}"]
    problems: list[str] = []
    if v.bands is None:
        return problems
    for band in v.bands.bands:
        if band.low > band.high:
            problems.append(f"band {band.code!r} runs from {band.low} down to {band.high}")
    covered = Counter(n for b in v.bands.bands for n in range(b.low, b.high + 1))
    gaps = [n for n in range(101) if covered[n] == 0]
    overlaps = sorted(n for n, k in covered.items() if k > 1)
    if gaps:
        problems.append(f"bands of {v.bands.id} leave out {gaps[0]}–{gaps[-1]}")
    if overlaps:
        problems.append(f"bands of {v.bands.id} overlap at {overlaps[0]}")
    return problems


def _check_routing(v: Variable, spec: InstrumentSpec, by_id: dict[str, Variable]) -> list[str]:
    try:
        condition = parse_condition(v.asked_if or "")
    except ValueError as exc:
        return [str(exc)]
    problems = []
    for clause in condition.clauses:
        parent = by_id.get(clause.variable)
        if parent is None:
            problems.append(f"routing rule names unknown variable {clause.variable!r}")
            continue
        if parent.id == v.id:
            problems.append("routing rule refers to the variable itself")
            continue
        order = list(by_id)  # record variables, then the parts in schedule order
        if order.index(parent.id) > order.index(v.id):
            problems.append(
                f"routing rule tests {parent.id!r}, which comes later in the schedule; a "
                "question can depend only on answers given before it (this also rules out "
                "routing that goes round in a circle)"
            )
            continue
        codes = _codes_of(parent, spec)
        if codes is None:
            problems.append(
                f"routing rule tests {parent.id!r}, a {parent.type} variable without codes"
            )
        elif clause.code not in codes:
            problems.append(
                f"routing rule names unknown code {clause.code!r} of {parent.id!r} "
                f"(known: {', '.join(codes)})"
            )
    return problems


def _check_value_length(v: Variable, spec: InstrumentSpec) -> list[str]:
    """A closed answer must fit the database's count index (`CODED_VALUE_LIMIT`)."""
    codes = [c.code for c in spec.choice_lists[v.choices or ""]]
    kind = question_type(v)
    longest = kind.longest_value(codes)
    if longest <= CODED_VALUE_LIMIT:
        return []
    held = f"all {len(codes)} codes chosen" if kind.multiple else "its longest code"
    return [
        f"its longest answer ({held}) is {longest} characters; "
        f"a closed answer may be at most {CODED_VALUE_LIMIT}"
    ]


def _choices_of(v: Variable, spec: InstrumentSpec) -> tuple[Choice, ...] | None:
    kind = REGISTRY.get(v.type)
    return kind.choices(v, spec.choice_lists) if kind else None


def _codes_of(v: Variable, spec: InstrumentSpec) -> list[str] | None:
    choices = _choices_of(v, spec)
    return None if choices is None else [c.code for c in choices]


def _check_report(v: Variable, spec: InstrumentSpec) -> list[str]:
    """A variable's own report wording (and its band's) may name only its codes and figures."""
    if not v.is_closed:
        closed = sorted(t.name for t in REGISTRY.values() if t.closed)
        return [f"'report' is only for closed variables ({', '.join(closed)})"]
    assert v.report is not None
    if question_type(v).counting == Counting.NUMERIC:
        return _check_report_template(v.report, [], PERCENT_WORDS)
    words = REPORT_WORDS + SCORE_WORDS if _scores(v, spec) else REPORT_WORDS
    return _check_report_template(v.report, _codes_of(v, spec) or [], words)


def _check_band_report(v: Variable) -> list[str]:
    assert v.bands is not None and v.bands.report is not None
    codes = [b.code for b in v.bands.bands]
    problems = _check_report_template(v.bands.report, codes, REPORT_WORDS)
    return [f"bands {v.bands.id}: {p}" for p in problems]


def _check_report_template(
    report: ReportTemplate, codes: list[str], words: tuple[str, ...]
) -> list[str]:
    problems = []
    for text in report.text:
        problems += template_problems("report text", text, [*codes, *REPORT_COUNTS], words)
    if report.item:
        problems += template_problems("report item", report.item, ITEM_COUNTS, ITEM_WORDS)
    for code, text in report.items:
        if code not in codes:
            problems.append(
                f"report items name unknown code {code!r} (known: {', '.join(codes) or 'none'})"
            )
        problems += template_problems(f"report item {code}", text, ITEM_COUNTS, ITEM_WORDS)
    return problems


def _check_report_templates(spec: InstrumentSpec) -> list[str]:
    """The generic wording per type and the footnotes name only what every variable has."""
    templates = spec.report_templates
    problems = []
    for name, counts in (
        ("no_answer", ("no_answer", "base")),
        ("dont_know", ("dont_know", "base")),
        ("nobody_asked", ("base",)),
        ("nobody_answered", ("base",)),
    ):
        problems += template_problems(name, getattr(templates, name), counts, ("label",))
    for type_name in REPORT_TYPES:
        generic = templates.for_type(type_name)
        codes = ["yes", "no"] if type_name == "yesno" else []
        words = PERCENT_WORDS if type_name == "percent" else REPORT_WORDS
        for field in ("text", "routed"):
            text = getattr(generic, field)
            if text:
                where = f"{type_name}.{field}"
                problems += template_problems(where, text, [*codes, *REPORT_COUNTS], words)
        where = f"{type_name}.item"
        problems += template_problems(where, generic.item, ITEM_COUNTS, ITEM_WORDS)
    return [f"report_templates: {p}" for p in problems]


def template_problems(
    where: str, text: str, counts: list[str] | tuple[str, ...], words: tuple[str, ...]
) -> list[str]:
    """Names must be known; only counts take a noun; [singular|plural] follows a count."""
    try:
        pieces = parse_template(text)
    except ValueError as exc:
        return [f"{where} {text!r}: {exc}"]
    problems = []
    seen_count = False
    known = ", ".join([*counts, *words])
    for piece in pieces:
        if isinstance(piece, Placeholder):
            if piece.name in counts:
                seen_count = True
            elif piece.name not in words:
                problems.append(f"{where} names unknown code {piece.name!r} (known: {known})")
            elif piece.singular:
                problems.append(f"{where}: {{{piece.name}}} is not a count and takes no noun")
        elif isinstance(piece, Agreement) and not seen_count:
            problems.append(
                f"{where}: [{piece.singular}|{piece.plural}] has no count before it to agree with"
            )
    return problems
