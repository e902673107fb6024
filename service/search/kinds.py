"""How the kinds of items beyond reports are indexed: what of them the public may find.

A service request is public only when its service says so and it is not at a home
(``service_requests.rules.is_public``); otherwise only the handling body's staff find it.
Its answers are staff texts: the public never searches them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from service.items.models import Item, ItemKind
from service.search.documents import (
    BuildContext,
    ItemDocumentBuilder,
    SearchDocument,
    register_item_kind,
)
from service.service_requests import rules as service_requests


@dataclass(frozen=True)
class ServiceRequestDocumentBuilder:
    """The spine's documents, public only when the request is, with its answers for staff."""

    async def build(
        self, session: AsyncSession, rows: Sequence[Item], context: BuildContext
    ) -> list[SearchDocument]:
        details = await service_requests.details_of(
            session, [row.id for row in rows if row.id is not None]
        )
        services = context.reference.services.services
        public = {
            item_id
            for item_id, detail in details.items()
            if service_requests.is_public(services.get(detail.service_code), detail)
        }

        async def answers(_: AsyncSession, items: Sequence[Item]) -> dict[int, list[str]]:
            return {
                item.id: [_answer_text(details[item.id].answers)]
                for item in items
                if item.id is not None and item.id in details
            }

        spine = ItemDocumentBuilder(staff_extra=answers, is_public=lambda item: item.id in public)
        return await spine.build(session, rows, context)


def _answer_text(answers: str) -> str:
    values = json.loads(answers or "{}").values()
    return " ".join(" ".join(v) if isinstance(v, list) else str(v) for v in values)


def register_kinds() -> None:
    register_item_kind(ItemKind.SERVICE_REQUEST.value, ServiceRequestDocumentBuilder())


register_kinds()
