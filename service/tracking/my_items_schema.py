"""« My items » in the API: a device lists, keeps and forgets its items (see
``service.tracking.my_items``)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import N_, DomainError
from service.items.lifecycle import Status, StatusClass
from service.items.models import Item, ItemKind
from service.items.rules import as_utc
from service.items.types import status_class, status_label
from service.schema_support import described_enum, payload_errors
from service.tracking import my_items
from service.tracking.errors import MyItemsErrorCode

described_enum(
    MyItemsErrorCode,
    name="MyItemsErrorCode",
    description="Why « my items » refused.",
    values={
        MyItemsErrorCode.INVALID_DEVICE_KEY: "The device key is not 8 to 100 letters, digits "
        "or . _ : -",
        MyItemsErrorCode.INVALID_PROOF: "The proof is not 22 to 100 letters, digits, - or _.",
        MyItemsErrorCode.TOKEN_INVALID: "The tracking token is forged, damaged, revoked or "
        "unknown.",
        MyItemsErrorCode.TOKEN_EXPIRED: "The item was finished too long ago.",
        MyItemsErrorCode.TOO_MANY_ITEMS: "The device keeps the maximum number of items.",
        MyItemsErrorCode.TOO_MANY_REQUESTS: "Too many calls from this device or network: "
        "wait a minute.",
    },
)

DeviceKeyArgument = Annotated[
    str,
    strawberry.argument(
        description="The device's key, made at random by the device (the one it sends with "
        "opinions and « me too »)."
    ),
]
ProofArgument = Annotated[
    str,
    strawberry.argument(
        description="A second secret the device made at random (22 to 100 characters of "
        "A-Z a-z 0-9 - _) and keeps with its key; sent nowhere else. Only a digest of both "
        "is stored."
    ),
]


@strawberry.type(description="Why « my items » refused.")
class MyItemsError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: MyItemsErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="One item a device keeps: where it stands, nothing personal.")
class MyItem:
    reference: str = strawberry.field(description="Public reference, e.g. ALM-2026-004217.")
    kind: ItemKind = strawberry.field(description="Report, service request or sensor question.")
    status: Status = strawberry.field(description="Where it stands.")
    status_class: StatusClass = strawberry.field(description="Open, fixed or closed.")
    status_label: str = strawberry.field(description="The status, in the caller's language.")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_row(cls, row: Item | my_items.KeptItem, info: Info[Context, None]) -> MyItem:
        status = Status(row.status)
        return cls(
            reference=row.reference,
            kind=ItemKind(row.kind),
            status=status,
            status_class=status_class(status),
            status_label=status_label(status, info.context.translator),
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


@strawberry.type(description="The items a device keeps, or why it may not list them.")
class MyItemsResult:
    items: list[MyItem] = strawberry.field(
        description="The most recently changed first (at most 200); empty on errors."
    )
    errors: list[MyItemsError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The item a device now keeps.")
class MyItemKeepPayload:
    item: MyItem | None = strawberry.field(description="The item; null on errors.")
    added: bool = strawberry.field(description="False when the device kept it already.")
    errors: list[MyItemsError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="Whether the device forgot the item.")
class MyItemForgetPayload:
    forgotten: bool = strawberry.field(description="False when the device kept no such item.")
    errors: list[MyItemsError] = strawberry.field(description="Empty on success.")


def my_items_errors(errors: list[DomainError], info: Info[Context, None]) -> list[MyItemsError]:
    return payload_errors(errors, info.context.translator, MyItemsError, MyItemsErrorCode)


def _checked(info: Info[Context, None], device_key: str, proof: str) -> str:
    """The device's digest, once its secrets are well formed and the rate limits admit it.
    Raises ``DomainError`` otherwise (one at a time: the first)."""
    errors = my_items.credential_errors(device_key, proof)
    if errors:
        raise errors[0]
    digest = my_items.device_hash(device_key, proof)
    context = info.context
    limiter = context.services.rate_limiter
    request = context.request
    host = request.client.host if request is not None and request.client else "unknown"
    wait = limiter.hit(limiter.origin(host) + ":my", my_items.MY_ITEMS_PER_MINUTE) or limiter.hit(
        "my:" + digest[:32], my_items.MY_ITEMS_PER_DEVICE_MINUTE
    )
    if wait:
        raise DomainError(
            MyItemsErrorCode.TOO_MANY_REQUESTS,
            N_("Too many requests: try again in %(seconds)s seconds."),
            seconds=max(1, math.ceil(wait)),
        )
    return digest


@strawberry.type
class MyItemsQuery:
    @strawberry.field(
        description="The items this device keeps (`myItemKeep`), by its two secrets: "
        "references and statuses, without an account. Another device lists nothing. "
        "Rate-limited (120 a minute per network, 10 per device).",
        metadata=field_access.token_holder(),
    )
    async def my_items(
        self, info: Info[Context, None], device_key: DeviceKeyArgument, proof: ProofArgument
    ) -> MyItemsResult:
        context = info.context
        try:
            digest = _checked(info, device_key, proof)
        except DomainError as error:
            return MyItemsResult(items=[], errors=my_items_errors([error], info))
        async with context.db.reading() as session:
            rows = await my_items.items_of(session, digest)
        return MyItemsResult(items=[MyItem.from_row(row, info) for row in rows], errors=[])


@strawberry.type
class MyItemsMutation:
    @strawberry.mutation(
        description="Keep an item in this device's « my items » (opt-in): its tracking token "
        "proves it is the resident's. Keeping it again changes nothing. Forgotten when the "
        "resident erases their data or when its free text expires.",
        metadata=field_access.token_holder(),
    )
    async def my_item_keep(
        self,
        info: Info[Context, None],
        device_key: DeviceKeyArgument,
        proof: ProofArgument,
        token: Annotated[str, strawberry.argument(description="The item's tracking token.")],
    ) -> MyItemKeepPayload:
        context = info.context
        try:
            digest = _checked(info, device_key, proof)
            async with context.db.writing() as session:
                # A token's refusal keeps its code's name (TOKEN_INVALID, TOKEN_EXPIRED).
                item = await context.services.tracking_tokens.item_for(session, token, context.now)
                added = await my_items.register(session, digest, item, context.now)
        except DomainError as error:
            return MyItemKeepPayload(item=None, added=False, errors=my_items_errors([error], info))
        return MyItemKeepPayload(item=MyItem.from_row(item, info), added=added, errors=[])

    @strawberry.mutation(
        description="Stop keeping an item in this device's « my items ».",
        metadata=field_access.token_holder(),
    )
    async def my_item_forget(
        self,
        info: Info[Context, None],
        device_key: DeviceKeyArgument,
        proof: ProofArgument,
        reference: Annotated[str, strawberry.argument(description="E.g. ALM-2026-004217.")],
    ) -> MyItemForgetPayload:
        context = info.context
        try:
            digest = _checked(info, device_key, proof)
        except DomainError as error:
            return MyItemForgetPayload(forgotten=False, errors=my_items_errors([error], info))
        async with context.db.writing() as session:
            forgotten = await my_items.forget(session, digest, reference)
        return MyItemForgetPayload(forgotten=forgotten, errors=[])
