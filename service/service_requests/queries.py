"""Public queries of service requests: the catalogue, and one public request."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError
from service.schema_support import payload_errors
from service.service_requests import rules
from service.service_requests.errors import ServiceRequestErrorCode
from service.service_requests.models import ServiceRequestDetail
from service.service_requests.types import (
    HandledServiceRequestResult,
    ServiceRequestError,
    ServiceRequestType,
    ServiceType,
)
from service.staff import triage
from service.staff.permissions import ITEM_READ, covered_bodies, require_item_work


@strawberry.type
class ServiceRequestQuery:
    @strawberry.field(
        description="The services residents may request, by group, in the caller's language; "
        "only those offered in a commune when one is named.",
        metadata=field_access.public(),
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

    @strawberry.field(
        description="One service with its questions; null if there is none.",
        metadata=field_access.public(),
    )
    def service(
        self,
        info: Info[Context, None],
        code: Annotated[strawberry.ID, strawberry.argument(description="E.g. tree_pruning.")],
    ) -> ServiceType | None:
        spec = info.context.reference.services.services.get(str(code))
        return ServiceType.from_spec(spec, info) if spec else None

    @strawberry.field(
        description="One service request by its public reference; null if there is none or "
        "if it is not public (requests at a home address and of private services never are).",
        metadata=field_access.public(),
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

    @strawberry.field(
        description="A service request with every answer and the address, for the staff of "
        "the body handling it (others get NOT_FOUND).",
        metadata=field_access.staff(ITEM_READ),
    )
    async def handled_service_request(
        self,
        info: Info[Context, None],
        reference: Annotated[str, strawberry.argument(description="E.g. ALM-2026-004217.")],
    ) -> HandledServiceRequestResult:
        context = info.context
        try:
            identity = require_item_work(context.caller.staff, "items:read")
            bodies = covered_bodies(identity, context.reference)
            async with context.db.reading() as session:
                item = await triage.item_in_scope(session, reference, bodies)
                detail = await session.get(ServiceRequestDetail, item.id)
            if detail is None:
                raise triage.not_found(reference)
        except DomainError as error:
            return HandledServiceRequestResult(
                service_request=None,
                errors=payload_errors(
                    [error], context.translator, ServiceRequestError, ServiceRequestErrorCode
                ),
            )
        return HandledServiceRequestResult(
            service_request=ServiceRequestType.from_row(item, detail, info, public=False),
            errors=[],
        )
