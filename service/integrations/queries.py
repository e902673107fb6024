"""API clients in GraphQL: metropolitan admins list them."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.context import Context
from service.integrations import rules
from service.integrations.access import require_client_admin
from service.integrations.types import ApiClientType


@strawberry.type
class ApiClientQuery:
    @strawberry.field(description="Every API client, revoked ones included (ALM admins only).")
    async def api_clients(self, info: Info[Context, None]) -> list[ApiClientType]:
        require_client_admin(info.context.caller.staff)
        async with info.context.db.reading() as session:
            rows = await rules.list_api_clients(session)
        return [ApiClientType.from_row(row) for row in rows]
