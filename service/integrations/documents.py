"""Trusted documents: the operations published in graphql/operations/, by a stable hash.

A document's id is ``sha256:`` and the hex SHA-256 of its file's UTF-8 bytes, so it changes
only when the text does. Clients send ``{"documentId": "sha256:...", "variables": ...}``
instead of the query text (smaller requests, cacheable GET URLs), and a client (or all
anonymous traffic) can be held to these documents only: no arbitrary, expensive query then
reaches the executor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PREFIX = "sha256:"


@dataclass(frozen=True)
class TrustedDocument:
    id: str
    name: str
    body: str


def document_id(body: str) -> str:
    return PREFIX + hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TrustedDocuments:
    by_id: dict[str, TrustedDocument]

    @classmethod
    def load(cls, folder: Path) -> TrustedDocuments:
        documents = [
            TrustedDocument(document_id(body), path.stem, body)
            for path in sorted(folder.glob("*.graphql"))
            for body in (path.read_text(encoding="utf-8"),)
        ]
        return cls({document.id: document for document in documents})

    def get(self, identifier: str) -> TrustedDocument | None:
        return self.by_id.get(identifier.strip().lower())

    def is_trusted(self, body: str) -> bool:
        return document_id(body) in self.by_id

    def manifest(self) -> dict[str, object]:
        """What ``GET /graphql/documents.json`` serves."""
        return {
            "format": "sha256 of the UTF-8 text; send it as documentId",
            "documents": [
                {"id": d.id, "name": d.name, "body": d.body}
                for d in sorted(self.by_id.values(), key=lambda d: d.name)
            ],
        }
