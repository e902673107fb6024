"""What both engines write: a document's fields with its texts already analysed here, and
the record, kept in the index's meta document beside the outbox position, of the documents
set aside (left out of the index so that the documents after them are indexed).

Analysis happens before any writer sees a document: a document whose analysis failed never
leaves half of itself in a writer, and both engines index exactly the words a search looks
for (``analysis.terms``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from service.search.analysis import DEFAULT_LANGUAGE, LANGUAGES, analyzer
from service.search.documents import ITEM_SOURCE, SearchDocument

logger = logging.getLogger("service.search")

# Documents set aside (key: why) recorded in the index's meta document: the newest ones.
MAX_SET_ASIDE = 1000


class IndexBusy(Exception):
    """Another writer (a `reindex`) held the index for longer than the writer timeout."""


class DocumentRefused(Exception):
    """The writer of a rebuild failed on one document and cannot go on (whoosh): the rebuild
    must start again without it."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


SetAside = Mapping[str, str]  # document key: why it is not in the index (an error's type)


def updated_set_aside(
    previous: SetAside, touched: Iterable[str], added: SetAside
) -> dict[str, str]:
    """The record after a commit: the keys written (or removed) again leave it, the ones
    set aside now join it; the newest ``MAX_SET_ASIDE`` are kept."""
    written = set(touched)
    record = {key: why for key, why in previous.items() if key not in written}
    record.update(added)
    return dict(list(record.items())[-MAX_SET_ASIDE:])


def meta_value(position: int, set_aside: SetAside) -> dict[str, Any]:
    """What the meta document stores (both engines): the position and the record."""
    return {"position": position, "setAside": dict(set_aside)}


def analysed(language: str, text: str) -> str:
    """A text as the engines receive it: its analysed words, separated by spaces."""
    return " ".join(token.text for token in analyzer(language)(text))


TEXT_KINDS = ("title", "body", "answers", "staff")
TEXT_FIELDS = frozenset(
    ["place", *(f"{kind}_{language}" for kind in TEXT_KINDS for language in LANGUAGES)]
)


def index_fields(document: SearchDocument) -> dict[str, Any]:
    """The fields both engines index: ``fields_of``, its texts as analysed words."""
    fields = fields_of(document)
    for name in TEXT_FIELDS.intersection(fields):
        fields[name] = analysed(field_language(name), fields[name])
    return {name: value for name, value in fields.items() if value != ""}


def prepared(
    documents: Iterable[SearchDocument], set_aside: dict[str, str]
) -> Iterator[tuple[SearchDocument, dict[str, Any]]]:
    """Each document with its index fields; one whose analysis fails (whatever the reason:
    analysis is meant never to fail) is set aside in ``set_aside`` instead of failing the
    others."""
    for document in documents:
        try:
            fields = index_fields(document)
        except Exception as error:  # one document must not stop the others
            set_aside.update(refused(document.key, error))
            continue
        yield document, fields


def refused(key: str, error: BaseException) -> dict[str, str]:
    """The record of a document set aside (key: the error's type), logged."""
    # The key and the type only: a message may quote the document's text.
    logger.error("search document %s set aside: %s", key, type(error).__name__)
    logger.debug("search document set aside", exc_info=error)
    return {key: type(error).__name__}


def fields_of(document: SearchDocument) -> dict[str, Any]:
    language = document.language
    values: dict[str, Any] = {
        "key": document.key,
        "kind": document.kind,
        "commune": document.commune_code,
        "category": document.category_code or "-",
        "status": document.status,
        "body": document.body_code,
        "public": "1" if document.public else "0",
        # References (ALM-2026-000042) are matched upper-cased; a sensor's slug is kept as is.
        "reference": document.reference.upper()
        if document.source == ITEM_SOURCE
        else document.reference,
        "language": language,
        "created": int(document.created_at.timestamp()),
        "place": document.place,
        f"body_{language}": document.public_text,
        f"answers_{language}": "\n".join(document.public_answers),
        f"staff_{language}": "\n".join(t for t in document.staff_texts if t),
        "public_texts": [("description", document.public_text)]
        + [("answer", answer) for answer in document.public_answers],
        "staff_texts": (
            [("description", document.public_text)]
            if document.staff_read_public_text and document.public_text
            else []
        )
        + [("staff", text) for text in document.staff_texts if text],
    }
    for title_language, title in document.titles.items():
        values[f"title_{title_language}"] = title
    return {name: value for name, value in values.items() if value != ""}


def field_language(fieldname: str) -> str:
    """``body_de`` is analysed in German; ``place`` in French."""
    return fieldname.rsplit("_", 1)[-1] if "_" in fieldname else DEFAULT_LANGUAGE
