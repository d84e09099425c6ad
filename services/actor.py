"""Who is acting. Every service function takes one, so history rows say who did what."""

from __future__ import annotations

from dataclasses import dataclass

from instrument.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role = Role.INTERVIEWER
    council_code: str | None = None
    display_name: str | None = None

    def __post_init__(self) -> None:
        # A role read from the database (a plain string) becomes the Role it names, and a
        # word that is no role fails here rather than at the first permission check.
        object.__setattr__(self, "role", Role(self.role))

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username
