"""packed trends histograms: one row per slice and measure instead of one per bin

A year of resolution times by category read thousands of histogram rows (one per bin) and
spent most of a dashboard page's time in the database driver. The bins of a slice's
histogram are now packed in one text value ("bin:count" pairs, bins ascending), converted
here from the rows they replace (and back on downgrade).

Revision ID: 0027_packed_histograms
Revises: 0026_staff_sign_in
Create Date: 2026-12-05 09:40:00.000000
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0027_packed_histograms"
down_revision: str | None = "0026_staff_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLICE = ("dimension", "commune_code", "grain", "start", "value", "measure")
SCOPED = ("scope", "scope_value", *SLICE)
# (packed table, per-bin table it replaces, key columns)
TABLES = (
    ("trends_slice_histogram", "trends_slice_duration", SLICE),
    ("trends_scoped_slice_histogram", "trends_scoped_slice_duration", SCOPED),
)
BATCH = 5000


def _columns(key: Sequence[str]) -> list[sa.Column[Any]]:
    lengths = {"scope": 20, "scope_value": 64, "dimension": 20, "commune_code": 5,
               "grain": 1, "value": 64, "measure": 12}  # fmt: skip
    return [
        sa.Column(name, sa.Date(), nullable=False)
        if name == "start"
        else sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=lengths[name]), nullable=False)
        for name in key
    ]


def _plain(key: Sequence[str]) -> list[sa.ColumnClause[Any]]:
    """The key's columns for reading (``start`` typed, so that it reads back as a date)."""
    return [sa.column(c, sa.Date()) if c == "start" else sa.column(c) for c in key]


def _pack(histogram: dict[int, int]) -> str:
    return " ".join(f"{b}:{c}" for b, c in sorted(histogram.items()) if c)


def _packed(rows: Iterable[Any], key: Sequence[str]) -> Iterator[dict[str, Any]]:
    """One packed row per key from per-bin rows ordered by key (key..., bin, count)."""
    current: tuple[Any, ...] | None = None
    histogram: dict[int, int] = {}
    for row in rows:
        cell = tuple(row[:-2])
        if cell != current:
            if current is not None and histogram:
                yield dict(zip(key, current, strict=True)) | {
                    "bins": _pack(histogram),
                    "count": sum(histogram.values()),
                }
            current, histogram = cell, {}
        histogram[int(row[-2])] = histogram.get(int(row[-2]), 0) + int(row[-1])
    if current is not None and histogram:
        yield dict(zip(key, current, strict=True)) | {
            "bins": _pack(histogram),
            "count": sum(histogram.values()),
        }


def upgrade() -> None:
    bind = op.get_bind()
    for packed, per_bin, key in TABLES:
        name = packed.removeprefix("trends_")
        table = op.create_table(
            packed,
            sa.Column("id", sa.Integer(), nullable=False),
            *_columns(key),
            sa.Column("bins", sa.Text(), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{packed}")),
            sa.UniqueConstraint(*key, name=f"uq_trends_{name}_cell"),
        )
        old = sa.table(per_bin, *_plain(key), sa.column("bin"), sa.column("count"))
        rows = bind.execute(
            sa.select(old).where(old.c["count"] != 0).order_by(*(old.c[c] for c in key))
        )
        batch: list[dict[str, Any]] = []
        for row in _packed(rows, key):
            batch.append(row)
            if len(batch) >= BATCH:
                op.bulk_insert(table, batch)
                batch = []
        if batch:
            op.bulk_insert(table, batch)
        op.drop_table(per_bin)


def downgrade() -> None:
    bind = op.get_bind()
    for packed, per_bin, key in TABLES:
        table = op.create_table(
            per_bin,
            sa.Column("id", sa.Integer(), nullable=False),
            *_columns(key),
            sa.Column("bin", sa.Integer(), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{per_bin}")),
            sa.UniqueConstraint(*key, "bin", name=f"uq_{per_bin}_cell"),
        )
        new = sa.table(packed, *_plain(key), sa.column("bins"))
        batch: list[dict[str, Any]] = []
        for row in bind.execute(sa.select(new)):
            cell = dict(zip(key, row[:-1], strict=True))
            for pair in row[-1].split():
                index, _, count = pair.partition(":")
                batch.append(cell | {"bin": int(index), "count": int(count)})
            if len(batch) >= BATCH:
                op.bulk_insert(table, batch)
                batch = []
        if batch:
            op.bulk_insert(table, batch)
        op.drop_table(packed)
