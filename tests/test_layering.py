"""Domain code stays free of the web layers (CONVENTIONS: models, rules, errors), and the
domains read each other in one direction, through their rules.

The net: every ``models.py``, ``rules.py`` and ``errors.py`` at any depth, and the modules
that hold rules under another name (``RULES_LIKE``). Followed through every module they
import at load time, none may reach strawberry, starlette or graphql-core: a domain module
that imports a GraphQL ``types`` module (directly or through a helper) fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import PROJECT_ROOT

SERVICE_DIR = PROJECT_ROOT / "service"
FORBIDDEN = ("strawberry", "starlette", "graphql", "uvicorn")
DOMAIN_ROLES = ("models.py", "rules.py", "errors.py")
# Rules that live under another name: what a page and a mutation both call.
RULES_LIKE = (
    "integrations/open311/rules.py",
    "items/lifecycle.py",
    "items/submission.py",
    "privacy/retention.py",
    "routing/delivery.py",
    "search/interface.py",
    "staff/actions.py",
    "staff/triage.py",
)
# The GraphQL layer of a domain, by module name: never imported by its domain code.
GRAPHQL_ROLES = ("types", "queries", "mutations", "loaders", "triage_types")
GRAPHQL_MODULES = ("service.schema", "service.schema_support", "service.context")
DOMAIN_FILES = sorted(
    {
        *(path for role in DOMAIN_ROLES for path in SERVICE_DIR.glob(f"**/{role}")),
        *(SERVICE_DIR / name for name in RULES_LIKE),
    }
    - set(SERVICE_DIR.glob("migrations/**/*.py"))
)
# The item spine: the other domains build on its models, so it imports none of theirs.
SPINE = ("items/models.py", "items/rules.py", "items/errors.py", "items/lifecycle.py")
SPINE_DEPENDANTS = ("service.routing", "service.privacy")
# The doors into the domains, beside GraphQL: they may use the GraphQL layer's helpers.
DOORS = ("web", "commands")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in SERVICE_DIR.rglob("*.py")}


def imported_modules(source: str, *, load_time_only: bool = False) -> set[str]:
    """Every module named by an import; ``load_time_only``: those run when the module loads
    (not the ones inside a function), each ``from a import b`` also as ``a.b``."""
    tree = ast.parse(source)
    nodes: Iterator[ast.AST] = ast.walk(tree)
    if load_time_only:
        nodes = (
            node
            for statement in tree.body
            for node in (
                [statement, *statement.body, *statement.orelse]
                if isinstance(statement, ast.If | ast.Try)
                else [statement]
            )
        )
    modules: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            if load_time_only:
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def reached_web_layer(start: str) -> dict[str, str]:
    """The web libraries a module loads, directly or through the service's own modules:
    library -> the service module that imports it."""
    seen: set[str] = set()
    todo = [start]
    found: dict[str, str] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = MODULES[name].read_text(encoding="utf-8")
        for imported in imported_modules(source, load_time_only=True):
            if imported in MODULES:
                todo.append(imported)
            elif imported.split(".")[0] in FORBIDDEN:
                found.setdefault(imported.split(".")[0], name)
    return found


def is_graphql_module(name: str) -> bool:
    return name in GRAPHQL_MODULES or (
        name.startswith("service.")
        and (name.rsplit(".", 1)[-1] in GRAPHQL_ROLES or name.endswith("_schema"))
    )


def test_there_are_domain_files_to_check() -> None:
    assert len(DOMAIN_FILES) >= 40
    assert all(path.is_file() for path in DOMAIN_FILES)


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.relative_to(SERVICE_DIR).as_posix())
def test_domain_code_imports_no_web_layer(path: Path) -> None:
    # when
    modules = imported_modules(path.read_text(encoding="utf-8"))
    # then
    assert [m for m in modules if m.split(".")[0] in FORBIDDEN] == []
    assert [m for m in modules if is_graphql_module(m)] == []


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.relative_to(SERVICE_DIR).as_posix())
def test_domain_code_loads_no_web_layer_through_another_module(path: Path) -> None:
    # when
    reached = reached_web_layer(module_name(path))
    # then
    assert reached == {}


def test_the_spine_imports_none_of_the_domains_built_on_it() -> None:
    # when
    found = {
        name: sorted(
            m
            for m in imported_modules((SERVICE_DIR / name).read_text(encoding="utf-8"))
            if m.startswith(SPINE_DEPENDANTS)
        )
        for name in (*SPINE, "items/submission.py")
    }
    # then
    assert {name: modules for name, modules in found.items() if modules} == {}


def test_sensors_and_service_requests_do_not_import_reports() -> None:
    # when
    importers = sorted(
        path.relative_to(SERVICE_DIR).as_posix()
        for folder in ("sensors", "service_requests")
        for path in (SERVICE_DIR / folder).rglob("*.py")
        if any(
            m == "service.reports" or m.startswith("service.reports.")
            for m in imported_modules(path.read_text(encoding="utf-8"))
        )
    )
    # then: what they share with reports lives in the spine (service.items)
    assert importers == []


def test_no_domain_imports_another_domains_mutations_or_queries() -> None:
    # when
    found = []
    for path in SERVICE_DIR.glob("*/**/*.py"):
        domain = path.relative_to(SERVICE_DIR).parts[0]
        if domain in DOORS:
            continue
        for module in imported_modules(path.read_text(encoding="utf-8")):
            parts = module.split(".")
            if (
                len(parts) >= 3
                and parts[0] == "service"
                and parts[1] != domain
                and parts[-1] in ("mutations", "queries")
            ):
                found.append(f"{path.relative_to(SERVICE_DIR).as_posix()} -> {module}")
    # then: the root schema assembles them; a domain shares code through its rules
    assert found == []


def test_nothing_but_settings_reads_the_environment() -> None:
    # when
    readers = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in SERVICE_DIR.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8")
    ]
    # then: settings reads it; the CLI only hands demo settings to worker processes
    assert sorted(readers) == ["service/cli.py", "service/settings.py"]
