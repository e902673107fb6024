"""A babel extractor for the labels of fixture CSV files (category names...).

Reference data carries English msgids in a ``label`` column (and in columns whose name ends
in ``_label``, such as a service's ``description_label``); this makes ``pybabel extract`` put
them in ``messages.pot`` beside the code's messages, so every language translates them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

LABEL_COLUMNS = ("label",)
LABEL_SUFFIX = "_label"


def extract_fixture_labels(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (line number, function name, msgid, comments) for every label cell."""
    text = io.StringIO(fileobj.read().decode("utf-8"))
    reader = csv.DictReader(text)
    columns = [c for c in reader.fieldnames or [] if c in LABEL_COLUMNS or c.endswith(LABEL_SUFFIX)]
    for line_number, row in enumerate(reader, start=2):
        for column in columns:
            if row.get(column):
                yield line_number, "", row[column], [f"fixture column {column}"]
