"""The question types a schedule's `type:` may name: one module each, registered on import.

A new type is one module here, imported below (see README, "Adding a question type").
"""

from instrument.types import date, multi, percent, single, text, yesno
from instrument.types.base import (
    MULTI_SEPARATOR,
    REGISTRY,
    Counting,
    QuestionType,
    Sample,
    Widget,
    question_type,
    register,
)

__all__ = [
    "MULTI_SEPARATOR",
    "REGISTRY",
    "Counting",
    "QuestionType",
    "Sample",
    "Widget",
    "date",
    "multi",
    "percent",
    "question_type",
    "register",
    "single",
    "text",
    "yesno",
]
