"""The contract integrators rely on: the committed SDL, described types, valid operations."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    parse,
    validate,
)

from service.schema import build_schema, export_sdl
from service.settings import PROJECT_ROOT, Settings
from tests.support import OPERATIONS_DIR

GRAPHQL_DIR = PROJECT_ROOT / "graphql"


def test_the_committed_sdl_is_the_schema_the_code_serves() -> None:
    # given
    committed = (GRAPHQL_DIR / "schema.graphql").read_text(encoding="utf-8")
    # when
    current = export_sdl(Settings())
    # then
    assert committed == current, "run `python -m service export-schema` and commit the result"


def test_graphql_folder_holds_no_python_file() -> None:
    # A .py file (or __init__.py) there would shadow graphql-core and break strawberry.
    assert [p for p in GRAPHQL_DIR.rglob("*") if p.suffix in (".py", ".pyc")] == []


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    # given
    schema = build_schema(Settings())._schema
    missing: list[str] = []
    # when
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})"
                    for arg, a in field.args.items()
                    if not a.description
                ]
        if isinstance(graphql_type, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, v in graphql_type.fields.items() if not v.description]
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in graphql_type.values.items() if not d.description]
    # then
    assert missing == []


@pytest.mark.parametrize("path", sorted(OPERATIONS_DIR.glob("*.graphql")), ids=lambda p: p.stem)
def test_every_published_operation_is_valid_and_named_after_its_file(path: Path) -> None:
    # given
    document = parse(path.read_text(encoding="utf-8"))
    # when
    errors = validate(build_schema(Settings())._schema, document)
    # then
    assert errors == []
    names = [d.name.value for d in document.definitions if getattr(d, "name", None)]
    assert names == [path.stem]
