"""The survey workspace: `streamlit run survey_app.py`. A thin router over app_pages/."""

from __future__ import annotations

import streamlit as st

from app_pages.common import engine
from instrument import InstrumentError

st.set_page_config(page_title="Commissioning social care survey", layout="wide")

try:
    engine()
except InstrumentError as exc:
    st.error("The interview schedule is invalid, so the app will not start.")
    st.text(str(exc))
    st.stop()

pages = [
    st.Page("app_pages/fieldwork.py", title="Fieldwork", icon=":material/call:", default=True),
    st.Page("app_pages/interview.py", title="Interview", icon=":material/edit_note:"),
    st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/bar_chart:"),
]
st.navigation(pages).run()
