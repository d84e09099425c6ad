"""Coding: one open question, one respondent at a time. The answer's full text with the
coder's own coded passages highlighted, the question's themes as toggles for the whole answer,
a passage coded by pasting its words, and the coder's passages with their quote flags. Each
coder sees only their own codings (a second coder works blind); Alt+N and Alt+P move on."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.coding_exchange import NOTICE, show_exchange
from app_pages.common import act, actor, chosen_wave, literal, session, show_notice
from instrument.model import Variable
from instrument.progress import question_title
from instrument.schedule import Instrument
from instrument.types import question_type
from services.agreement import Disagreement, coder_agreement, record_agreement
from services.codings import (
    AnswerToCode,
    CodingSummary,
    answers_to_code,
    code_answer,
    coding_progress,
    mark_quote,
    my_codings,
    remove_coding,
)
from services.interviews import wave_instrument
from services.quotes import approve_quote, quotes_to_approve
from services.themes import ThemeSummary, create_theme, list_themes

QUESTION = "coding_question"
AT = "coding_at"  # which answer is shown, per question


def highlighted(text: str, passages: list[CodingSummary]) -> str:
    """The answer as Markdown of escaped text, coded passages on a highlight: typed words are
    never read as Markdown or HTML."""
    covered = [False] * len(text)
    for passage in passages:
        for i in range(passage.start, min(passage.end, len(text))):
            covered[i] = True
    pieces, start = [], 0
    for i in range(1, len(text) + 1):
        if i == len(text) or covered[i] != covered[start]:
            words = literal(text[start:i]).replace("\n", "  \n")
            pieces.append(f":orange-background[**{words}**]" if covered[start] else words)
            start = i
    return "".join(pieces)


def render() -> None:
    st.title("Coding")
    wave = chosen_wave()
    with session() as s:
        instrument = wave_instrument(s, actor=actor(), wave_key=wave.key)
        themes = list_themes(s, actor=actor(), wave_key=wave.key)
    show_notice(NOTICE)
    open_ids = [v.id for v in instrument.questions if question_type(v).verbatim]
    coded = [v for v in open_ids if any(v in t.variables for t in themes)]
    if coded:
        variable_id = st.selectbox(
            "Open question",
            coded,
            key=QUESTION,
            format_func=lambda v: question_title(instrument.variable(v)),
        )
        _coding(wave.key, wave.members, instrument.variable(variable_id), themes)
        _agreement(wave.key, variable_id)
        _approvals(wave.key, variable_id)
    else:
        st.info("No open question has a theme yet: add the first below.")
    _add_theme(wave.key, instrument, open_ids, themes)
    show_exchange(wave.key)


def _coding(
    wave_key: str, members: str, variable: Variable, themes: list[ThemeSummary]
) -> None:
    with session() as s:
        answers = answers_to_code(s, actor=actor(), wave_key=wave_key, variable_id=variable.id)
        progress = coding_progress(s, actor=actor(), wave_key=wave_key, variable_id=variable.id)
    number = variable.display_number or variable.id
    st.caption(
        f"{number} coded for {progress.coded} of {progress.answered} {members} (your codings; "
        "another coder's are not shown)."
    )
    if not answers:
        st.info("Nobody has answered this question yet.")
        return
    at_key = f"{AT}:{variable.id}"
    at = min(st.session_state.get(at_key, 0), len(answers) - 1)
    back, where, on = st.columns([1, 3, 1], vertical_alignment="center")
    back.button("Previous", key="coding_previous", shortcut="Alt+P", disabled=at == 0,
                on_click=_move, args=(at_key, at - 1))  # fmt: skip
    where.markdown(f"**{literal(answers[at].council_name)}** · answer {at + 1} of {len(answers)}")
    on.button("Next", key="coding_next", shortcut="Alt+N", disabled=at == len(answers) - 1,
              on_click=_move, args=(at_key, at + 1))  # fmt: skip
    _answer(answers[at], variable, [t for t in themes if variable.id in t.variables])


def _move(at_key: str, to: int) -> None:
    st.session_state[at_key] = to


def _answer(answer: AnswerToCode, variable: Variable, themes: list[ThemeSummary]) -> None:
    with session() as s:
        mine = my_codings(s, actor=actor(), interview_id=answer.interview_id,
                          variable_id=variable.id)  # fmt: skip
    passages = [c for c in mine if not c.whole]
    with st.container(border=True):
        st.markdown(highlighted(answer.text, passages))
    whole = {c.theme: c for c in mine if c.whole}
    st.header("Themes of the whole answer", anchor=False)  # under the page's h1
    for theme in themes:
        st.toggle(
            theme.name if theme.parent is None else f"{theme.parent} › {theme.name}",
            value=theme.name in whole,
            key=f"whole:{answer.interview_id}:{variable.id}:{theme.id}",
            help=theme.description or None,
            on_change=_whole,
            args=(answer.interview_id, variable.id, theme.name, whole.get(theme.name)),
        )
    _passage_form(answer, variable, themes)
    for coding in passages:
        _passage(coding, answer.interview_id)


def _whole(interview_id: int, variable_id: str, theme: str, coded: CodingSummary | None) -> None:
    if coded is None:
        act(lambda s: code_answer(s, actor=actor(), interview_id=interview_id,
                                  variable_id=variable_id, theme=theme),
            f"Coded the whole answer as {theme}.", notice=NOTICE, in_callback=True)  # fmt: skip
    else:
        act(lambda s: remove_coding(s, actor=actor(), coding_id=coded.id),
            f"Took {theme} off the whole answer.", notice=NOTICE, in_callback=True)  # fmt: skip


def _passage_form(answer: AnswerToCode, variable: Variable, themes: list[ThemeSummary]) -> None:
    st.header("Code a passage", anchor=False)
    with st.form(f"passage:{answer.interview_id}:{variable.id}", clear_on_submit=True):
        words = st.text_area("Words to code, as they stand in the answer (paste them)", height=68)
        theme = st.selectbox("Theme", [t.name for t in themes])
        quote = st.checkbox("A quote candidate for the report")
        if st.form_submit_button("Code the passage", type="primary") and theme:
            _code_passage(answer, variable.id, words.strip(), theme, quote)


def _code_passage(
    answer: AnswerToCode, variable_id: str, words: str, theme: str, quote: bool
) -> None:
    start = answer.text.find(words) if words else -1
    if start < 0:
        st.error("Those words are not in the answer: copy them from the text above.")
        return
    act(lambda s: code_answer(s, actor=actor(), interview_id=answer.interview_id,
                              variable_id=variable_id, theme=theme, start=start,
                              end=start + len(words), quote=quote),
        f"Coded the passage as {theme}.", notice=NOTICE)  # fmt: skip


def _passage(coding: CodingSummary, interview_id: int) -> None:
    with st.container(border=True, key=f"passage_{coding.id}"):
        st.markdown(f"**{literal(coding.theme)}** · characters {coding.start}–{coding.end}")
        st.text(coding.passage)
        left, right = st.columns(2)
        left.toggle("Quote candidate", value=coding.quote, key=f"quote:{coding.id}",
                    on_change=_quote, args=(coding.id, not coding.quote))  # fmt: skip
        right.button("Remove", key=f"remove:{coding.id}", on_click=_remove, args=(coding.id,))


def _quote(coding_id: int, quote: bool) -> None:
    act(lambda s: mark_quote(s, actor=actor(), coding_id=coding_id, quote=quote),
        "Marked as a quote candidate." if quote else "No longer a quote candidate.",
        notice=NOTICE, in_callback=True)  # fmt: skip


def _remove(coding_id: int) -> None:
    act(lambda s: remove_coding(s, actor=actor(), coding_id=coding_id), "Passage uncoded.",
        notice=NOTICE, in_callback=True)  # fmt: skip


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _agreement(wave_key: str, variable_id: str) -> None:
    """Every coder's codings of the question compared: opened once one's own pass is done,
    as it shows what the others did."""
    with st.expander("Agreement between coders (shows the other coders' codings)"):
        with session() as s:
            found = coder_agreement(s, actor=actor(), wave_key=wave_key, variable_id=variable_id)
        if len(found.coders) < 2:
            st.write("Only one coder has coded this question so far.")
            return
        st.write(f"Coders: {', '.join(found.coders)}. An answer is compared where two or more "
                 "coders coded it. A dash (—) means there is no variation to measure agreement "
                 "on.")  # fmt: skip
        st.dataframe(
            pd.DataFrame({
                "Theme": [t.theme for t in found.themes],
                "Answers compared": [t.compared for t in found.themes],
                "Cohen's kappa": [_figure(t.kappa) for t in found.themes],
                "Krippendorff's alpha": [_figure(t.alpha) for t in found.themes],
            }),
            hide_index=True,
        )  # fmt: skip
        if found.disagreements:
            st.markdown("**Where the coders differ**: settle each in the consensus pass; what "
                        "is agreed counts over each coder's own coding.")  # fmt: skip
        for d in found.disagreements:
            _disagreement(d, variable_id)


def _disagreement(d: Disagreement, variable_id: str) -> None:
    agreed = {None: "not yet agreed", True: "agreed: it applies",
              False: "agreed: it does not apply"}[d.agreed]  # fmt: skip
    with st.container(border=True, key=f"differ_{d.interview_id}_{d.theme}"):
        st.text(f"{d.council_name} · {d.theme}: applied by {', '.join(d.applied_by)}, not by "
                f"{', '.join(d.not_by)}; {agreed}.")  # fmt: skip
        left, right = st.columns(2)
        for where, applies, label in ((left, True, "It applies"),
                                      (right, False, "It does not apply")):  # fmt: skip
            where.button(label, key=f"agree:{d.interview_id}:{d.theme}:{applies}",
                         disabled=d.agreed is applies, on_click=_agree,
                         args=(d.interview_id, variable_id, d.theme, applies))  # fmt: skip


def _agree(interview_id: int, variable_id: str, theme: str, applies: bool) -> None:
    act(lambda s: record_agreement(s, actor=actor(), interview_id=interview_id,
                                   variable_id=variable_id, theme=theme, applies=applies),
        f"Agreed: {theme} {'applies' if applies else 'does not apply'}.", notice=NOTICE,
        in_callback=True)  # fmt: skip


def _approvals(wave_key: str, variable_id: str) -> None:
    """Other coders' quote candidates: a quote reaches the report once a second person
    approves it (and its council has validated)."""
    with session() as s:
        candidates = quotes_to_approve(s, actor=actor(), wave_key=wave_key,
                                       variable_id=variable_id)  # fmt: skip
    if not candidates:
        return
    waiting = sum(1 for c in candidates if c.approved_by is None)
    # The title stays the same as approvals are given, so the list stays open after each one.
    with st.expander("Quote candidates from other coders"):
        st.caption(f"{waiting} of {len(candidates)} waiting for approval.")
        for c in candidates:
            with st.container(border=True, key=f"candidate_{c.coding_id}"):
                approved = f"approved by {c.approved_by}" if c.approved_by else "not approved"
                st.text(f"{c.council_name} · {c.theme} · marked by {c.coder}; {approved}")
                st.text(f"“{c.passage}”")
                st.button("Withdraw the approval" if c.approved_by else "Approve for the report",
                          key=f"approve:{c.coding_id}", on_click=_approve,
                          args=(c.coding_id, c.approved_by is None))  # fmt: skip


def _approve(coding_id: int, approved: bool) -> None:
    act(lambda s: approve_quote(s, actor=actor(), coding_id=coding_id, approved=approved),
        "Quote approved for the report." if approved else "Approval withdrawn.",
        notice=NOTICE, in_callback=True)  # fmt: skip


def _add_theme(
    wave_key: str, instrument: Instrument, open_ids: list[str], themes: list[ThemeSummary]
) -> None:
    with (
        st.expander("Add a theme to the codebook", expanded=not themes),
        st.form("add_theme", clear_on_submit=True),
    ):
        name = st.text_input("Theme")
        description = st.text_input("What it means, for coders")
        variables = st.multiselect(
            "Open questions it codes",
            open_ids,
            format_func=lambda v: question_title(instrument.variable(v)),
        )
        parents = [t.name for t in themes if t.parent is None]
        parent = st.selectbox("Under (optional)", parents, index=None, placeholder="—")
        if st.form_submit_button("Add the theme"):
            act(lambda s: create_theme(s, actor=actor(), wave_key=wave_key, name=name,
                                       variables=variables, description=description,
                                       parent=parent),
                f"Theme {name.strip()} added.", notice=NOTICE)  # fmt: skip

render()
