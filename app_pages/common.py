"""What every page needs: the engine, the acting person, the wave, and safe display of text."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.delta_generator import DeltaGenerator
from streamlit.navigation.page import StreamlitPage

from aggregation.wording import capitalise
from db import open_database
from db.engine import database_url
from db.setup import DEFAULT_WAVE
from instrument.errors import SurveyError
from instrument.vocabulary import ReviewState
from services.actor import Actor
from services.interviews import WaveSummary, list_waves
from services.sessions import IDLE_LIMIT

WAVE_KEY = "wave"
ACTOR_KEY = "signed_in_actor"
TOKEN_KEY = "sign_in_token"
LAST_ACTIVE_KEY = "last_active"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return open_database(url)


def engine() -> Engine:
    """The process's engine for DATABASE_URL (shared by every session, as an engine should be)."""
    return _engine_for(database_url())


def session() -> Session:
    return Session(engine())


def made_on_click(
    make: Callable[[Session], bytes | str], *, encoding: str = "utf-8"
) -> Callable[[], bytes]:
    """A download's file, made only when its button is clicked: outside the page's run, where
    session state is not to be had, so `make` carries the person and the wave as values. Text
    is encoded (`utf-8-sig` for a CSV Excel opens)."""

    def build() -> bytes:
        with session() as s:
            made = make(s)
        return made.encode(encoding) if isinstance(made, str) else made

    return build


def actor() -> Actor:
    """The signed-in person at the keyboard (survey_app.py signs in before any page runs).

    Services check what this person may do; pages only hide what they cannot use.
    """
    who: Actor | None = st.session_state.get(ACTOR_KEY)  # only sign-in stores it
    idle_for = time.time() - st.session_state.get(LAST_ACTIVE_KEY, time.time())
    if who is None or idle_for > IDLE_LIMIT.total_seconds():
        st.stop()  # signed out meanwhile (another tab, an administrator): the next run asks
    return who


def run_page(page: StreamlitPage) -> None:
    """Run the chosen page; a refusal escaping it (PermissionDenied above all) is shown as an
    error box instead of a traceback. Pages still catch the refusals they can answer in place
    (a keyed value, an incomplete interview), so the rest of the page stays usable there."""
    try:
        page.run()
    except SurveyError as problem:
        show_refusal(problem)


def show_refusal(problem: SurveyError) -> None:
    """The message as plain text (it may quote what a person typed), its code in small print
    for whoever is asked for help. A refusal that lists problems shows each on its own line."""
    listed: list[str] | None = getattr(problem, "problems", None)
    if listed:
        st.error(literal(f"{len(listed)} problem(s) in {problem.where.file or 'the file'}:"),
                 icon=":material/block:")  # fmt: skip
        st.text("\n".join(f"• {p}" for p in map(str, listed)))
    else:
        st.error(literal(problem.located()), icon=":material/block:")
    st.caption(f"Error code: `{problem.code}`")


def act(
    change: Callable[[Session], object], success: str, *, notice: str, in_callback: bool = False
) -> None:
    """Make a change through a service. A refusal is shown in place (the rest of the page is
    still drawn); success is kept under `notice` for the next run, and the page reruns. From a
    widget's callback (`in_callback`), whose run follows anyway, a refusal is kept as the notice
    too, to be shown where the page shows it."""
    try:
        with session() as s:
            change(s)
    except SurveyError as problem:
        if not in_callback:
            show_refusal(problem)
            return
        listed = [str(p) for p in getattr(problem, "problems", None) or []]
        st.session_state[notice] = ("error", "; ".join(listed) or problem.located())
        return
    st.session_state[notice] = ("success", success)
    if not in_callback:
        st.rerun()


def show_notice(notice: str) -> None:
    """The outcome `act` kept for this run, if any, shown once."""
    message = st.session_state.pop(notice, None)
    if message:
        getattr(st, message[0])(literal(message[1]))


WAVE_KEPT = "wave_chosen"


def chosen_wave() -> WaveSummary:
    """The wave chosen in the sidebar, kept in the URL so a refresh keeps it. Its `member`
    is the word the page uses for one respondent organisation ("council", "partnership")."""
    with session() as s:
        waves = {w.key: w for w in list_waves(s, actor=actor())}
    keys = list(waves)
    # A widget's state does not outlive its page, and page links drop the URL's parameters:
    # the wave chosen is also kept apart, so it is still chosen on the next page.
    kept = st.session_state.get(WAVE_KEPT)
    from_url(
        WAVE_KEY, keys, kept if kept in keys else DEFAULT_WAVE if DEFAULT_WAVE in keys else keys[0]
    )
    chosen = st.sidebar.selectbox(
        "Survey wave", keys, key=WAVE_KEY, format_func=lambda k: f"{k} · {waves[k].title}"
    )
    st.session_state[WAVE_KEPT] = chosen
    to_url(WAVE_KEY, chosen)
    st.sidebar.caption(literal(waves[chosen].title))  # in full: the box cuts a long title short
    return waves[chosen]


def wave_key() -> str:
    """The key of the wave chosen in the sidebar (`chosen_wave`)."""
    return chosen_wave().key


DRAFTS_KEY = "include_unvalidated"


def include_drafts() -> bool:
    """Whether figures are in the draft view: every completed interview counted, nothing
    withheld (the sidebar); else the published view (`aggregation.disclosure`)."""
    return bool(st.session_state.get(DRAFTS_KEY))


def drafts_switch() -> None:
    """The auditor's explicit choice to see the draft view."""
    st.sidebar.toggle(
        "Draft view (unvalidated councils too)",
        key=DRAFTS_KEY,
        help="Figures, tables and downloads normally count only councils that have validated "
        "their submission, and withhold any figure about fewer councils than the wave's "
        "threshold. The draft view counts every completed interview and withholds nothing.",
    )


def draft_banner() -> None:
    """Said on every page while the draft view is on."""
    if include_drafts():
        st.warning(
            "Draft view: figures count councils that have not yet validated their submission, "
            "and nothing is withheld for a small base. Do not publish them.",
            icon=":material/warning:",
        )


def labelled_picker(
    label: str,
    labels: dict[str, str],
    *,
    key: str,
    where: DeltaGenerator | None = None,
    placeholder: str | None = None,
) -> str | None:
    """A select box whose option labels follow the data ("Fife · In progress").

    The browser keeps showing the label it was last sent for the chosen option until the
    choice itself is set again, so when the chosen option's label changes it is set again.
    """
    chosen = st.session_state.get(key)
    shown = f"{key}:label_shown"
    if chosen in labels and st.session_state.get(shown) != labels[chosen]:
        st.session_state[key] = chosen
    st.session_state[shown] = labels.get(chosen) if chosen in labels else None
    return (where or st).selectbox(
        label, list(labels), key=key, format_func=labels.__getitem__, placeholder=placeholder
    )


def from_url(key: str, options: list[str], default: str | None) -> None:
    """Seed a widget's state from the URL (so a refresh keeps the choice), else the default.

    Streamlit's own query binding stores the displayed label; ours stores the stable code.
    """
    if st.session_state.get(key) in options:
        return
    wanted = st.query_params.get(key)
    st.session_state[key] = wanted if wanted in options else default


def to_url(key: str, value: str | None) -> None:
    if value is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def review_sentence(states: Iterable[str], member: str = "council") -> str:
    """Where the respondents' own validation stands, in one sentence (Fieldwork, Dashboard);
    `member` is the wave's word for one of them."""
    counts = Counter(states)
    return (
        f"{capitalise(member)} review: {counts[ReviewState.VALIDATED]} validated by their "
        f"{member}, {counts[ReviewState.CORRECTIONS_REQUESTED]} with corrections requested, "
        f"{counts[ReviewState.AWAITING_COUNCIL]} awaiting the {member}'s review."
    )


def draft_sentence(sentence: str) -> None:
    """A sentence of the draft report, quoted as such (a highlight read as selected text)."""
    st.markdown("> " + literal(sentence).replace("\n", " "))


def literal(text: str | None) -> str:
    """Text a person typed, escaped so Markdown never turns it into links, images or HTML."""
    if not text:
        return ""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()<>#+-.!|~$&":
            out.append(
                "\\" + ch if ch not in "<>&" else {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[ch]
            )
        else:
            out.append(ch)
    return "".join(out)
