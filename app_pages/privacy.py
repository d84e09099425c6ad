"""Personal data (administrators): every place the survey keeps personal data, what it holds,
why, who can see it and how long it is kept, generated from the schema and each wave's
schedule (`services.privacy`), with the inventory as CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import actor, session
from services.privacy import COLUMNS, MAY_BE_PERSONAL, PERSONAL, data_inventory, inventory_csv

EVERYTHING = "Everything"


def render() -> None:
    st.title("Personal data")
    with session() as s:
        rows = data_inventory(s, actor=actor())
    named = sum(1 for r in rows if r.kind == PERSONAL)
    st.caption(
        f"{len(rows)} places: {named} hold personal data, {len(rows) - named} may (free text, "
        "which can name people). Every column of the database is classified; each wave's "
        "free-text questions are listed by wave."
    )
    choices = [EVERYTHING, PERSONAL, MAY_BE_PERSONAL]
    kind = st.segmented_control("Show", choices, default=EVERYTHING, key="privacy_kind")
    kind = kind or EVERYTHING
    shown = [r for r in rows if kind == EVERYTHING or r.kind == kind]
    # A static table: each entry is a sentence or two, which a grid's cells would cut short.
    st.table(
        pd.DataFrame(
            [(r.where, r.holds, r.kind, r.purpose, r.seen_by, r.retention) for r in shown],
            columns=list(COLUMNS),
        ).set_index(COLUMNS[0])
    )
    st.download_button(
        "The inventory (CSV)", inventory_csv(rows), file_name="personal_data_inventory.csv",
        mime="text/csv", key="privacy:csv", on_click="ignore", icon=":material/download:",
    )  # fmt: skip


render()
