"""One family for every refusal the survey gives: pages, the CLI and tests catch SurveyError
once and read a stable `code` instead of matching English that may be reworded.

It lives at the bottom of the house (it imports nothing) so every layer may raise it.
The catalogue of codes, with real messages, is docs/errors.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Where:
    """Where the trouble is, as far as it is known: a file, a row, a column, a variable of the
    schedule, a council. Every field is optional; an empty Where says nothing."""

    file: str | None = None
    row: int | None = None
    column: str | None = None
    variable: str | None = None
    council: str | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def __str__(self) -> str:
        parts = [
            self.file,
            None if self.row is None else f"row {self.row}",
            self.council,
            None if self.column is None else f"column {self.column}",
            self.variable,
        ]
        return ", ".join(p for p in parts if p)


class SurveyError(Exception):
    """A refusal whose message is safe to show as plain text (never as Markdown: it may
    quote what a person typed), with a dotted lowercase `code` that scripts and tests may
    rely on, and, where known, where it happened.

    Each subclass names its `code`; one class that covers several cases passes `code=`.
    """

    code: str = "survey.error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        variable: str | None = None,
        council: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.where = Where(file=file, row=row, column=column, variable=variable, council=council)

    def located(self) -> str:
        """The message, led by where it happened when that is known."""
        return f"{self.where}: {self.message}" if self.where else self.message

    def __str__(self) -> str:
        return self.located()
