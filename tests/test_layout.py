"""The shape of the house, checked: which package may import which (docs/architecture.md).

Read from the source with `ast`, so a rule broken anywhere, even inside a function, fails here
before it becomes a cycle or a page that writes SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PRODUCT = ("instrument", "db", "flatfile", "aggregation", "services", "ops", "app_pages")
# What each part of the product may import from the others (itself always).
MAY_IMPORT: dict[str, set[str]] = {
    "instrument": set(),
    "db": {"instrument"},
    "flatfile": {"instrument"},
    "aggregation": {"instrument"},
    "services": {"instrument", "db", "flatfile", "aggregation"},
    "ops": {"instrument", "db", "services"},
    "app_pages": {"instrument", "aggregation", "flatfile", "services", "ops", "db"},
    "survey_app": {"instrument", "app_pages", "services", "db"},
    "survey_cli": {"instrument", "aggregation", "services", "ops", "flatfile", "db"},
}
# Libraries that say what a layer is: pure layers use neither a database nor a screen.
NOT_IN: dict[str, set[str]] = {
    "instrument": {"sqlalchemy", "streamlit", "pandas", "altair"},
    "flatfile": {"sqlalchemy", "streamlit"},
    "aggregation": {"sqlalchemy", "streamlit"},
    "db": {"streamlit"},
    "services": {"streamlit"},
    "ops": {"streamlit"},
}
# The ORM stays below the services: pages and the command line get plain data.
ORM = "db.models"


def sources(package: str) -> list[Path]:
    path = REPO / package
    return sorted(path.rglob("*.py")) if path.is_dir() else [REPO / f"{package}.py"]


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_lies_below_it(package: str) -> None:
    allowed = MAY_IMPORT[package] | {package}
    broken = []
    for path in sources(package):
        for name in imported(path):
            if top(name) not in (*PRODUCT, "survey_app", "survey_cli"):
                continue
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                broken.append(f"{path.relative_to(REPO)} imports {name}")
    assert broken == [], "\n".join(broken)


@pytest.mark.parametrize("package", sorted(NOT_IN))
def test_pure_and_lower_layers_use_no_screen_or_database_library(package: str) -> None:
    broken = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sources(package)
        for name in imported(path)
        if top(name) in NOT_IN[package]
    ]
    assert broken == [], "\n".join(broken)


@pytest.mark.parametrize("entry", ["app_pages", "survey_app", "survey_cli"])
def test_no_page_or_command_touches_an_orm_model(entry: str) -> None:
    broken = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sources(entry)
        for name in imported(path)
        if name == ORM or name.startswith(ORM + ".")
    ]
    assert broken == [], "\n".join(broken)


def test_the_rules_cover_every_package_of_the_product() -> None:
    packages = {p.name for p in REPO.iterdir() if (p / "__init__.py").exists()} - {"tests"}
    assert packages - {"benchmarks"} == set(PRODUCT)
