"""Save what is typed after a short pause, without waiting for the interviewer to leave the box.

Streamlit commits a text area only on blur or Ctrl+Enter, and a text input on blur or Enter,
so text typed just before a refresh would be lost. This page-wide script watches typing in
those widgets and, after a pause, sends the same keystroke Streamlit itself listens for: the
value is committed (and autosaved by the widget's callback) while focus and caret stay put.
"""

from __future__ import annotations

import streamlit as st

PAUSE_MS = 700

_SCRIPT = """
export default function(component) {
  if (window.__surveyTypingAutosave) return;
  window.__surveyTypingAutosave = true;
  const timers = new WeakMap();
  const commit = (box) => {
    const area = box instanceof HTMLTextAreaElement;
    box.dispatchEvent(new KeyboardEvent('keydown', {
      key: 'Enter', code: 'Enter', ctrlKey: area, bubbles: true, cancelable: true,
    }));
  };
  document.addEventListener('input', (event) => {
    const box = event.target;
    const widget = box.closest && box.closest(
      '[data-testid="stTextArea"], [data-testid="stTextInput"]');
    if (!widget) return;
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(() => commit(box), PAUSE));
  }, true);
}
""".replace("PAUSE", str(PAUSE_MS))

_autosave = st.components.v2.component("survey_typing_autosave", js=_SCRIPT, isolate_styles=False)


def save_typing_after_a_pause() -> None:
    """Mount once per page run; it draws nothing."""
    _autosave(key="typing_autosave")
