"""Public queries of service requests: the catalogue, and one public request."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service.context import Context
from service.service_requests import rules
from service.service_requests.types import ServiceRequestType, ServiceType


@strawberry.type
class ServiceRequestQuery:
    @strawberry.field(
        description="The services residents may request, by group, in the caller's language; "
        "only those offered in a commune when one is named."
    )
    def services(
        self,
        info: Info[Context, None],
        commune: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="INSEE code: only services offered there."),
        ] = None,
    ) -> list[ServiceType]:
        catalogue = info.context.reference.services
        chosen = catalogue.in_order(str(commune) if commune else None)
        return [ServiceType.from_spec(spec, info) for spec in chosen]

    @strawberry.field(description="One service with its questions; null if there is none.")
    def service(
        self,
        info: Info[Context, None],
        code: Annotated[strawberry.ID, strawberry.argument(description="E.g. tree_pruning.")],
    ) -> ServiceType | None:
        spec = info.context.reference.services.services.get(str(code))
        return ServiceType.from_spec(spec, info) if spec else None

    @strawberry.field(
        description="One service request by its public reference; null if there is none or "
        "if it is not public (requests at a home address and of private services never are)."
    )
    async def service_request(
        self,
        info: Info[Context, None],
        reference: Annotated[str, strawberry.argument(description="E.g. ALM-2026-004217.")],
    ) -> ServiceRequestType | None:
        async with info.context.db.reading() as session:
            found = await rules.public_request(
                session, info.context.reference, reference.strip().upper()
            )
        if found is None:
            return None
        item, detail = found
        return ServiceRequestType.from_row(item, detail, info, public=True)
