"""Which pages each role sees (the services enforce the same rules underneath)."""

from __future__ import annotations

from instrument.vocabulary import Role

SIGN_IN_TITLE = "Sign in"

PAGES: dict[str, tuple[str, str, str]] = {  # name: (script, title, icon)
    "fieldwork": ("app_pages/fieldwork.py", "Fieldwork", ":material/call:"),
    "interview": ("app_pages/interview.py", "Interview", ":material/edit_note:"),
    "corrections": ("app_pages/corrections.py", "Corrections", ":material/rule:"),
    "review": ("app_pages/review.py", "Our submission", ":material/fact_check:"),
    "dashboard": ("app_pages/dashboard.py", "Dashboard", ":material/bar_chart:"),
    "summaries": ("app_pages/summaries.py", "Council summaries", ":material/summarize:"),
    "coding": ("app_pages/coding.py", "Coding", ":material/label:"),
    "accounts": ("app_pages/accounts.py", "Accounts", ":material/group:"),
    "waves": ("app_pages/waves.py", "Waves", ":material/event_note:"),
    "audit": ("app_pages/audit_log.py", "Audit log", ":material/history:"),
    "privacy": ("app_pages/privacy.py", "Personal data", ":material/shield_person:"),
}

ROLE_PAGES: dict[Role, list[str]] = {  # the first is the role's home page
    Role.INTERVIEWER: [
        "fieldwork",
        "interview",
        "corrections",
        "coding",
        "dashboard",
        "summaries",
    ],
    Role.ANALYST: ["coding", "dashboard", "summaries"],
    Role.AUDITOR: ["dashboard", "summaries"],
    Role.COUNCIL: ["review"],
    Role.ADMIN: ["accounts", "waves", "audit", "privacy", "dashboard", "summaries"],
}
