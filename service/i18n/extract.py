"""A babel extractor for the labels of fixture CSV files (category names...).

Reference data carries English msgids in a ``label`` column; this makes ``pybabel extract``
put them in ``messages.pot`` beside the code's messages, so every language translates them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

LABEL_COLUMNS = ("label",)


def extract_fixture_labels(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (line number, function name, msgid, comments) for every label cell."""
    text = io.StringIO(fileobj.read().decode("utf-8"))
    for line_number, row in enumerate(csv.DictReader(text), start=2):
        for column in LABEL_COLUMNS:
            if row.get(column):
                yield line_number, "", row[column], [f"fixture column {column}"]
