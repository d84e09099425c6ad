"""The wave as a Frictionless Data Package, for open-data publication: a zip of
`datapackage.json` and the answers as CSV, described by a Table Schema made from the
instrument (names, titles, descriptions, types, the codes each coded field may hold, the
reserved codes as missing values). Returns bytes; the publisher adds the licence.

The CSV holds the flat file's columns and values (`flatfile.columns`): codes as words, a
multiple choice's codes joined by ";". Values are written as recorded, for programs to read:
unlike the flat file meant for Excel, no apostrophe is put before text that starts like a
formula, so a spreadsheet should import the file as text rather than open it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from flatfile.labels import AnalysisVariable, Kind, analysis_variables
from instrument.model import RESERVED_CODES, RESERVED_LABELS
from instrument.schedule import Instrument

EPOCH = (1980, 1, 1, 0, 0, 0)  # members dated alike: the same wave gives the same bytes
MISSING_VALUES = ["", *RESERVED_CODES]
_SLUG = re.compile(r"[^a-z0-9._-]+")

Json = dict[str, Any]


def slug(text: str) -> str:
    """A name the Data Package spec allows: lower case letters, digits, `.`, `_`, `-`."""
    return _SLUG.sub("-", text.lower()).strip("-") or "wave"


def table_schema(
    instrument: Instrument, *, member: str = "council", routing: Mapping[str, str] | None = None
) -> Json:
    """A Table Schema for the export's columns. `routing` gives, by variable id, whom a
    routed question was asked of in words, added to its description."""
    fields = [
        _field(v, (routing or {}).get(v.name))
        for v in analysis_variables(instrument, member)
        if v.kind != Kind.MENTION
    ]
    reserved = "; ".join(f"{code} = {RESERVED_LABELS[code]}" for code in RESERVED_CODES)
    return {
        "fields": fields,
        "missingValues": MISSING_VALUES,
        "primaryKey": ["council_code"],
        "x-reserved-codes": reserved,
    }


def _field(variable: AnalysisVariable, routed: str | None) -> Json:
    field: Json = {"name": variable.name, "title": variable.label}
    description = variable.wording
    if routed:
        description = f"{description}\nAsked only of those who {routed}."
    if description:
        field["description"] = description
    constraints: Json = {}
    if variable.kind == Kind.CODED:
        field["type"] = "string"
        constraints["enum"] = [c.code for c in variable.codes]
        field["categories"] = [{"value": c.code, "label": c.label} for c in variable.codes]
    elif variable.kind == Kind.CODES:
        field["type"] = "string"
        codes = "|".join(re.escape(c.code) for c in variable.codes)
        constraints["pattern"] = f"({codes})(;({codes}))*"
        listed = "; ".join(f"{c.code} = {c.label}" for c in variable.codes)
        field["description"] = f"{description}\nCodes mentioned, separated by ';': {listed}."
    elif variable.kind == Kind.NUMBER:
        field["type"] = "integer"
        constraints.update(minimum=variable.minimum, maximum=variable.maximum)
    elif variable.kind == Kind.DATE:
        field["type"] = "date"
    else:
        field["type"] = "string"
    if variable.name == "council_code":
        constraints.update(required=True, unique=True)
    if constraints:
        field["constraints"] = constraints
    return field


def data_package(
    instrument: Instrument,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    name: str,
    title: str,
    description: str,
    member: str = "council",
    routing: Mapping[str, str] | None = None,
) -> bytes:
    """The zip: `datapackage.json` and `<name>.csv`, the rows under the export's header."""
    schema = table_schema(instrument, member=member, routing=routing)
    columns = [f["name"] for f in schema["fields"]]
    if list(header) != columns:
        raise ValueError("the rows' columns are not the instrument's export columns")
    csv_name = f"{slug(name)}.csv"
    descriptor: Json = {
        "profile": "tabular-data-package",
        "name": slug(name),
        "title": title,
        "description": description,
        "licenses": [],  # for the publisher to choose before release
        "x-instrument": instrument.name,
        "resources": [
            {
                "name": "answers",
                "title": f"Answers: one row per {member}",
                "path": csv_name,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
                "schema": schema,
            }
        ],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("datapackage.json", date_time=EPOCH),
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n",
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            zipfile.ZipInfo(csv_name, date_time=EPOCH), _csv(header, rows), zipfile.ZIP_DEFLATED
        )
    return out.getvalue()


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")
