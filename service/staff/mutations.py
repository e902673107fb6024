"""Staff mutations: log in and out, create and revoke personal access tokens."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context, CookieToSet
from service.errors import DomainError, ValidationFailed
from service.inputs import id_number
from service.schema_support import payload_errors
from service.staff import rules
from service.staff.errors import StaffErrorCode
from service.staff.permissions import ANY_STAFF, not_authenticated
from service.staff.types import (
    AccessTokenCreatePayload,
    AccessTokenRevokePayload,
    AccessTokenType,
    Me,
    StaffError,
    StaffLoginPayload,
    StaffLogoutPayload,
)


def staff_errors(errors: list[DomainError], info: Info[Context, None]) -> list[StaffError]:
    return payload_errors(errors, info.context.translator, StaffError, StaffErrorCode)


def _host(info: Info[Context, None]) -> str:
    request = info.context.request
    return request.client.host if request is not None and request.client else "unknown"


@strawberry.type
class StaffMutation:
    @strawberry.mutation(
        description="Log in as a staff member; sets an HttpOnly session cookie (8 hours).",
        metadata=field_access.public(scope=None),
    )
    async def staff_login(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="Work e-mail address.")],
        password: Annotated[str, strawberry.argument(description="Password.")],
        code: Annotated[
            str | None,
            strawberry.argument(
                description="The one-time code of the account's second factor (TOTP), or one "
                "of its recovery codes: required when the account has a second factor."
            ),
        ] = None,
    ) -> StaffLoginPayload:
        context = info.context
        services = context.services
        now = context.now
        origin_key, account_key = rules.login_keys(services.secret_keys[-1], _host(info), email)
        try:
            async with context.db.writing() as session:
                user, token = await rules.log_in(
                    session,
                    services.login_throttle,
                    email=email,
                    password=password,
                    origin_key=origin_key,
                    account_key=account_key,
                    now=now,
                    cipher=services.contact_cipher,
                    code=code,
                )
        except DomainError as error:
            return StaffLoginPayload(me=None, errors=staff_errors([error], info))
        context.cookies.append(
            CookieToSet(
                rules.SESSION_COOKIE,
                services.session_cookies.sign(token).decode(),
                int(rules.SESSION_LIFETIME.total_seconds()),
            )
        )
        identity = rules.identity_of(user, "session")
        return StaffLoginPayload(
            me=Me.from_identity(identity, services.csrf_token(token)), errors=[]
        )

    @strawberry.mutation(
        description="Log out: the session stops working at once.",
        metadata=field_access.public(scope=None),
    )
    async def staff_logout(self, info: Info[Context, None]) -> StaffLogoutPayload:
        context = info.context
        staff = context.caller.staff
        if staff is not None and staff.session_id is not None:
            async with context.db.writing() as session:
                await rules.log_out(session, staff, context.now)
        context.cookies.append(CookieToSet(rules.SESSION_COOKIE, "", 0))
        return StaffLogoutPayload(done=True)

    @strawberry.mutation(
        description="Create a personal access token for a script, with chosen scopes.",
        metadata=field_access.staff(ANY_STAFF),
    )
    async def staff_access_token_create(
        self,
        info: Info[Context, None],
        name: Annotated[str, strawberry.argument(description="What it is for.")],
        scopes: Annotated[
            list[str],
            strawberry.argument(description="items:read, items:write, staff:read, staff:write."),
        ],
    ) -> AccessTokenCreatePayload:
        context = info.context
        staff = context.caller.staff
        try:
            if staff is None:
                raise not_authenticated()
            async with context.db.writing() as session:
                access, secret = await rules.create_access_token(
                    session, staff.staff_id, name, scopes, context.now
                )
        except ValidationFailed as failed:
            errors = staff_errors(failed.errors, info)
            return AccessTokenCreatePayload(access_token=None, secret=None, errors=errors)
        except DomainError as error:
            errors = staff_errors([error], info)
            return AccessTokenCreatePayload(access_token=None, secret=None, errors=errors)
        return AccessTokenCreatePayload(
            access_token=AccessTokenType.from_row(access), secret=secret, errors=[]
        )

    @strawberry.mutation(
        description="Revoke one of one's access tokens: it stops at once.",
        metadata=field_access.staff(ANY_STAFF),
    )
    async def staff_access_token_revoke(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The token's id.")],
    ) -> AccessTokenRevokePayload:
        context = info.context
        staff = context.caller.staff
        if staff is None:
            return AccessTokenRevokePayload(
                access_token=None, errors=staff_errors([not_authenticated()], info)
            )
        token_id = id_number(id)
        try:
            async with context.db.writing() as session:
                access = await rules.revoke_access_token(
                    session, staff.staff_id, token_id, context.now
                )
        except DomainError as error:
            return AccessTokenRevokePayload(access_token=None, errors=staff_errors([error], info))
        return AccessTokenRevokePayload(access_token=AccessTokenType.from_row(access), errors=[])
