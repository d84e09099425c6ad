"""CSV cells that spreadsheet software will never run as formulas, read back to the same text.

A cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return) is written with a
leading apostrophe, which spreadsheets take as "this is text". A cell that already starts with
an apostrophe gets one more, so reading strips exactly one and every text survives unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def protect(cell: str) -> str:
    if cell.startswith((*FORMULA_STARTS, TEXT_MARK)):
        return TEXT_MARK + cell
    return cell


def unprotect(cell: str) -> str:
    return cell[1:] if cell.startswith(TEXT_MARK) else cell
