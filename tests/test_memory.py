"""The app keeps long-lived objects out of the cycle collector's walk, and only when modules
were imported since last time (see app_pages/memory.py)."""

from __future__ import annotations

import gc
import sys
import types

from app_pages.memory import settle_after_imports


def test_frozen_when_modules_were_imported__otherwise_left_alone() -> None:
    try:
        settle_after_imports()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        kept = [[n] for n in range(1_000)]  # objects a run creates
        settle_after_imports()  # nothing imported since: nothing frozen
        assert gc.get_freeze_count() == frozen
        sys.modules["_survey_test_module"] = types.ModuleType("_survey_test_module")
        settle_after_imports()
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        sys.modules.pop("_survey_test_module", None)
        gc.unfreeze()
