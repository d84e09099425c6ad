"""Who is acting. Every service function takes one, so history rows say who did what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "interviewer", "auditor", "council"]


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role = "interviewer"
    council_code: str | None = None
    display_name: str | None = None

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


LOCAL_INTERVIEWER = Actor("interviewer", "interviewer")
