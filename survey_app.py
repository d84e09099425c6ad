"""The survey workspace: `streamlit run survey_app.py`. Signs people in, then routes each
role to the pages it may use (the services check again below)."""

from __future__ import annotations

import streamlit as st

from app_pages.common import draft_banner, drafts_switch, engine, literal, run_page
from app_pages.memory import settle_after_imports
from app_pages.navigation import PAGES, ROLE_PAGES, SIGN_IN_TITLE
from app_pages.signin import sign_in_page, sign_out, signed_in, watch_idle
from instrument import InstrumentError
from instrument.vocabulary import Role

st.set_page_config(page_title="Commissioning social care survey", layout="wide")
settle_after_imports()  # before this run: what the last one imported stays for good

try:
    engine()
except InstrumentError as exc:
    st.error("The interview schedule is invalid, so the app will not start.")
    st.text(str(exc))
    st.stop()

who = signed_in()
if who is None:
    run_page(st.navigation([st.Page(sign_in_page, title=SIGN_IN_TITLE, icon=":material/login:")]))
else:
    with st.sidebar:
        st.caption(f"Signed in as **{literal(who.shown_name)}** · {who.role.label}")
        st.button("Sign out", on_click=sign_out, args=(who,), icon=":material/logout:")
    watch_idle()
    if who.role != Role.COUNCIL:
        drafts_switch()
        draft_banner()
    pages = [
        st.Page(PAGES[name][0], title=PAGES[name][1], icon=PAGES[name][2], default=i == 0)
        for i, name in enumerate(ROLE_PAGES[who.role])
    ]
    run_page(st.navigation(pages))
