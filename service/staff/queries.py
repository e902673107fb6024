"""Staff queries."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.staff.types import Me


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description="The staff member making the request; null when anonymous.",
        metadata=field_access.public(scope=None),
    )
    def me(self, info: Info[Context, None]) -> Me | None:
        caller = info.context.caller
        if caller.staff is None:
            return None
        csrf = (
            info.context.services.csrf_token(caller.session_token) if caller.session_token else None
        )
        return Me.from_identity(caller.staff, csrf)
