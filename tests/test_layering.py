"""Domain code stays free of the web layers (CONVENTIONS: models, rules, errors)."""

from __future__ import annotations

import ast

import pytest

from service.settings import PROJECT_ROOT

SERVICE_DIR = PROJECT_ROOT / "service"
FORBIDDEN = ("strawberry", "starlette", "graphql", "uvicorn")
DOMAIN_ROLES = ("models.py", "rules.py", "errors.py")
DOMAIN_FILES = sorted(path for role in DOMAIN_ROLES for path in SERVICE_DIR.glob(f"*/{role}"))


def imported_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_there_are_domain_files_to_check() -> None:
    assert len(DOMAIN_FILES) >= 3


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_domain_models_rules_and_errors_import_no_web_layer(path: object) -> None:
    # when
    modules = imported_modules(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    # then
    assert [m for m in modules if m.split(".")[0] in FORBIDDEN] == []


def test_nothing_but_settings_reads_the_environment() -> None:
    # when
    readers = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in SERVICE_DIR.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8")
    ]
    # then: settings reads it; the CLI only hands demo settings to worker processes
    assert sorted(readers) == ["service/cli.py", "service/settings.py"]
