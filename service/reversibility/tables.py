"""The tables an export holds, read from the service's own metadata (the tables the
migrations create), in foreign-key order: a table comes after every table it refers to."""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table
from sqlmodel import SQLModel

from service.db import metadata
from service.models import import_all_models
from service.reversibility.encoding import kind_of


@dataclass(frozen=True)
class ColumnShape:
    name: str
    kind: str  # see service.reversibility.encoding
    nullable: bool
    max_length: int | None
    references: str | None  # "table.column"

    def manifest(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind,
            "nullable": self.nullable,
            "max_length": self.max_length,
            "references": self.references,
        }


@dataclass(frozen=True)
class TableShape:
    table: Table
    description: str
    columns: tuple[ColumnShape, ...]
    primary_key: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def self_references(self) -> tuple[str, ...]:
        """Columns referring to this same table (a body's parent, a duplicate's original):
        imported in a second pass, since a row may point to one that comes later."""
        return tuple(
            c.name for c in self.columns if (c.references or "").split(".")[0] == self.name
        )

    def kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}


def exported_table(name: str) -> Any:
    from service.db import metadata

    return metadata.tables[name]


def exported_tables() -> list[TableShape]:
    """Every table of the metadata, parents first (alembic_version is not in the metadata)."""
    import_all_models()
    docs = _model_docs()
    return [_shape(table, docs.get(table.name, "")) for table in metadata.sorted_tables]


def _shape(table: Table, description: str) -> TableShape:
    return TableShape(
        table=table,
        description=description,
        columns=tuple(_column(c) for c in table.columns),
        primary_key=tuple(c.name for c in table.primary_key.columns),
    )


def _column(column: Column[Any]) -> ColumnShape:
    foreign = next(iter(column.foreign_keys), None)
    return ColumnShape(
        name=column.name,
        kind=kind_of(column),
        nullable=bool(column.nullable),
        max_length=getattr(column.type, "length", None),
        references=foreign.target_fullname if foreign is not None else None,
    )


def _model_docs() -> dict[str, str]:
    """Table name → the docstring of its model class: what a row is, in the code's words."""
    docs: dict[str, str] = {}
    for mapper in SQLModel._sa_registry.mappers:
        table = getattr(mapper, "local_table", None)
        doc = inspect.getdoc(mapper.class_)
        if isinstance(table, Table) and doc and doc != inspect.getdoc(SQLModel):
            docs[table.name] = " ".join(doc.split())
    return docs


def field_notes() -> dict[tuple[str, str], str]:
    """(table, column) → the comments the models' source gives that field: the comment lines
    right above it and the one at the end of its line (``kind: str  # an ItemKind value``)."""
    import_all_models()
    notes: dict[tuple[str, str], str] = {}
    for mapper in SQLModel._sa_registry.mappers:
        table = getattr(mapper, "local_table", None)
        if isinstance(table, Table):
            for column, note in _class_comments(mapper.class_).items():
                if column in table.c:
                    notes[(table.name, column)] = note
    return notes


def _class_comments(cls: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    comments = {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    lines = source.splitlines()
    found: dict[str, str] = {}
    body = ast.parse(source).body[0]
    for node in getattr(body, "body", []):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        line = node.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            above.insert(0, comments.get(line, ""))
            line -= 1
        trailing = [
            comments[n]
            for n in range(node.lineno, (node.end_lineno or 0) + 1)
            if n in comments and not lines[n - 1].strip().startswith("#")
        ]
        text = " ".join(part for part in [*above, *trailing] if part)
        if text:
            found[node.target.id] = text
    return found
