"""A short-lived cache of public GraphQL responses.

The same public query (the app's list of reports, the category picker, a map page) is asked
again and again by anonymous callers, and its answer is the same for all of them. The cache
keeps the encoded response of such a query for a few seconds:

* only anonymous queries whose root fields all declare a cacheable access
  (``service.field_access``) and whose answer has no error are kept; nothing opened with a
  token, nothing for staff;
* any mutation run by this process invalidates every entry at once (read-your-writes for a
  resident on the same worker); a write made by another worker shows within ``ttl`` seconds,
  the same bound the search index gives;
* entries are bounded in number and size (least recently used go first).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import OperationDefinitionNode, OperationType

from service.selections import parsed, selected_operation

MAX_ENTRY_BYTES = 512 * 1024


def _operation(query: str, operation_name: str | None) -> OperationDefinitionNode | None:
    document = parsed(query)
    return selected_operation(document, operation_name) if document else None


def may_write(query: str, operation_name: str | None) -> bool:
    """Whether the operation could change data (a mutation, or a document we cannot read)."""
    operation = _operation(query, operation_name)
    return operation is None or operation.operation is not OperationType.QUERY


@dataclass
class _Entry:
    expires_at: float
    generation: int
    body: bytes


class PublicResponseCache:
    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._generation = 0
        self.hits = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    @staticmethod
    def key(
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        locale: str,
    ) -> str:
        canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
        return "\x1f".join((locale, operation_name or "", canonical, query))

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != self._generation or entry.expires_at <= self._monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.body

    def put(self, key: str, body: bytes) -> None:
        if not self.enabled or len(body) > MAX_ENTRY_BYTES:
            return
        self._entries[key] = _Entry(self._monotonic() + self.ttl, self._generation, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self) -> None:
        """Forget every entry: data this process serves has changed."""
        self._generation += 1
        self._entries.clear()
